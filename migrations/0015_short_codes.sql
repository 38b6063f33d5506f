-- Short codes (made by an admin: CarrierX support creates them; partners read and update theirs)
-- and DID classifications (reference data, read-only).

CREATE TABLE short_codes (
    id               bigserial   NOT NULL UNIQUE,
    short_code_sid   uuid        PRIMARY KEY,
    partner_sid      uuid        NOT NULL REFERENCES partners (partner_sid),
    short_code       text        NOT NULL UNIQUE,
    name             text        NOT NULL DEFAULT 'N/A',
    attributes       jsonb       NOT NULL DEFAULT '{}',
    callback_url     text,
    country_code     text,
    state            text,
    locality         text,
    lrn_sid          uuid,
    did_group_sid    uuid        REFERENCES did_groups (did_group_sid) ON DELETE SET NULL,
    string_key_1     text,
    string_key_2     text,
    date_created     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX short_codes_partner_idx ON short_codes (partner_sid, id);

CREATE TABLE did_classifications (
    id                  bigserial   NOT NULL UNIQUE,
    classification_sid  uuid        PRIMARY KEY,
    name                text        NOT NULL,
    -- Seconds a released number of the class stays `aging` (the reference's sample: 86400).
    aging_policy        integer     NOT NULL
);
-- The reference's sample classification, and the one its DID rental rates sample names.
INSERT INTO did_classifications (classification_sid, name, aging_policy) VALUES
    ('17f4d954-d635-4cda-912b-c2a2fa3a6860', 'Default', 86400),
    ('3306c614-772b-4477-8f29-714676c6d52c', 'Retail', 86400);
