-- Call detail records, rate plans and their assignment to partners.

CREATE TABLE call_drs (
    dr_sid                  uuid        PRIMARY KEY,
    partner_sid             uuid        NOT NULL REFERENCES partners (partner_sid),
    date_stop               timestamptz NOT NULL,
    date_start              timestamptz,
    date_talk               timestamptz,
    date_insert             timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    direction               text,
    type                    text,
    version                 integer,
    cic                     text,
    cic_original            text,
    cic_transformed         text,
    disconnect_originator   text,
    diversion_dst           text,
    diversion_src           text,
    duration                numeric,
    duration_billing        numeric,
    endpoint_sid_dst        uuid,
    endpoint_sid_src        uuid,
    identity                text,
    ip_dst                  text,
    ip_src                  text,
    number_billing          text,
    number_dst              text,
    number_dst_original     text,
    number_dst_transformed  text,
    number_external         text,
    number_src              text,
    number_src_original     text,
    number_src_transformed  text,
    price                   numeric,
    rate                    numeric,
    sipcallid_dst           text,
    sipcallid_src           text,
    sipcause                text,
    stir_attest             text,
    stir_identity           text,
    stir_orig_id            text,
    stir_signing_entity     text,
    stir_verstat            text,
    trunk_group_sid_dst     uuid,
    trunk_group_sid_src     uuid,
    trunk_sid_dst           uuid,
    trunk_sid_src           uuid,
    user_data               jsonb
);
-- A partner's records in date_stop order: the list, date ranges and after/before pages.
CREATE INDEX call_drs_partner_stop_idx ON call_drs (partner_sid, date_stop, dr_sid);
-- Every partner's records in date_stop order (a reseller's descendants, the admin routes).
CREATE INDEX call_drs_stop_idx ON call_drs (date_stop, dr_sid);

CREATE TABLE rate_plans (
    rates_plan_sid  uuid        PRIMARY KEY,
    name            text        NOT NULL,
    effective_date  timestamptz NOT NULL DEFAULT date_trunc('day', now()),
    date_created    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE rate_plan_items (
    id                 bigserial   PRIMARY KEY,
    rates_plan_sid     uuid        NOT NULL REFERENCES rate_plans (rates_plan_sid) ON DELETE CASCADE,
    prefix             text,
    country_code       text,
    price              numeric     NOT NULL,
    billing_increment  integer     NOT NULL DEFAULT 60,
    billing_minimum    integer     NOT NULL DEFAULT 60
);
CREATE INDEX rate_plan_items_plan_idx ON rate_plan_items (rates_plan_sid, prefix);

-- Which plan rates a partner's calls of one direction and kind ('pstn' or 'voip:<sub_type>');
-- partner_sid NULL is the default for partners without their own.
CREATE TABLE rate_plan_assignments (
    id              bigserial   PRIMARY KEY,
    partner_sid     uuid        REFERENCES partners (partner_sid),
    direction       text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind            text        NOT NULL,
    rates_plan_sid  uuid        NOT NULL REFERENCES rate_plans (rates_plan_sid) ON DELETE CASCADE
);
CREATE UNIQUE INDEX rate_plan_assignments_key ON rate_plan_assignments
    (COALESCE(partner_sid, '00000000-0000-0000-0000-000000000000'::uuid), direction, kind);
