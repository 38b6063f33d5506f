-- Phone numbers: the inventory and the rented DIDs (one table: a number's status says which),
-- and DID groups.

CREATE TABLE did_groups (
    id              bigserial   NOT NULL UNIQUE,
    did_group_sid   uuid        PRIMARY KEY,
    partner_sid     uuid        NOT NULL REFERENCES partners (partner_sid),
    name            text        NOT NULL DEFAULT 'N/A',
    callback_url    text,
    date_created    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX did_groups_partner_idx ON did_groups (partner_sid, id);

CREATE TABLE dids (
    id                      bigserial   NOT NULL UNIQUE,
    did_sid                 uuid        PRIMARY KEY,
    phonenumber             text        NOT NULL UNIQUE,
    partner_sid             uuid        REFERENCES partners (partner_sid),
    status                  text        NOT NULL DEFAULT 'available' CHECK (status IN ('aging', 'assigned', 'available', 'deleted')),
    name                    text        NOT NULL DEFAULT 'N/A',
    attributes              jsonb       NOT NULL DEFAULT '{}',
    callback_url            text,
    capabilities            integer     NOT NULL DEFAULT 7 CHECK (capabilities BETWEEN 0 AND 31),
    country_code            text,
    in_country_format       text,
    international_format    text,
    locality                text,
    state                   text,
    lrn_sid                 uuid,
    did_group_sid           uuid        REFERENCES did_groups (did_group_sid) ON DELETE SET NULL,
    trunk_group_sid         uuid        REFERENCES trunk_groups (trunk_group_sid),
    price                   numeric     NOT NULL DEFAULT 0,
    string_key_1            text,
    string_key_2            text,
    transformations         jsonb       NOT NULL DEFAULT '[]',
    classification_sid      uuid,
    provider_sid            uuid,
    source_trunk_group_sid  uuid,
    ocn                     text,
    external_keys           jsonb       NOT NULL DEFAULT '{}',
    type                    text        NOT NULL DEFAULT 'phonenumber_did',
    aging_until             timestamptz,
    date_status_changed     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_created            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
-- Browsing and renting the inventory: by number prefix, and by state.
CREATE INDEX dids_available_number_idx ON dids (phonenumber text_pattern_ops) WHERE status = 'available';
CREATE INDEX dids_available_state_idx ON dids (state, phonenumber) WHERE status = 'available';
-- Rented numbers: a partner's, and by state.
CREATE INDEX dids_assigned_partner_idx ON dids (partner_sid, id) WHERE status = 'assigned';
CREATE INDEX dids_assigned_state_idx ON dids (state, partner_sid, id) WHERE status = 'assigned';
CREATE INDEX dids_trunk_group_idx ON dids (trunk_group_sid);
CREATE INDEX dids_did_group_idx ON dids (did_group_sid);
-- Numbers whose aging ends.
CREATE INDEX dids_aging_idx ON dids (aging_until) WHERE status = 'aging';

-- Routing prefixes: outbound calls whose number starts with `prefix` go to `trunk_group_sid`.
CREATE TABLE prefixes (
    id                      bigserial   NOT NULL UNIQUE,
    prefix_sid              uuid        PRIMARY KEY,
    partner_sid             uuid        NOT NULL REFERENCES partners (partner_sid),
    prefix                  text        NOT NULL,
    name                    text        NOT NULL DEFAULT 'N/A',
    attributes              jsonb       NOT NULL DEFAULT '{}',
    callback_url            text,
    lrn_sid                 uuid,
    source_trunk_group_sid  uuid        REFERENCES trunk_groups (trunk_group_sid),
    trunk_group_sid         uuid        REFERENCES trunk_groups (trunk_group_sid),
    string_key_1            text,
    string_key_2            text,
    transformations         jsonb       NOT NULL DEFAULT '[]',
    date_created            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX prefixes_partner_idx ON prefixes (partner_sid, id);
CREATE INDEX prefixes_trunk_group_idx ON prefixes (trunk_group_sid);
CREATE INDEX prefixes_source_trunk_group_idx ON prefixes (source_trunk_group_sid);

-- Local bookkeeping (e.g. whether the demo data was loaded).
CREATE TABLE local_markers (
    name          text        PRIMARY KEY,
    date_created  timestamptz NOT NULL DEFAULT now()
);
