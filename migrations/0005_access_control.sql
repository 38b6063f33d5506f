-- Access control rules (ACLs live on partners, trunk groups and trunks, as JSON lists).

CREATE TABLE access_control_rules (
    id            bigserial   NOT NULL UNIQUE,
    rule_sid      uuid        PRIMARY KEY,
    partner_sid   uuid        NOT NULL REFERENCES partners (partner_sid),
    name          text        NOT NULL DEFAULT 'N/A',
    field         text        NOT NULL,
    operation     text        NOT NULL CHECK (operation IN ('exact', 'prefix', 'regexp')),
    quantifier    text        NOT NULL CHECK (quantifier IN ('all', 'any', 'none')),
    entries       text[]      NOT NULL,
    date_created  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX access_control_rules_partner_idx ON access_control_rules (partner_sid, id);
