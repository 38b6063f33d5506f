-- Endpoints, trunk groups and trunks.

CREATE TABLE endpoints (
    id                      bigserial   NOT NULL UNIQUE,
    endpoint_sid            uuid        PRIMARY KEY,
    partner_sid             uuid        NOT NULL REFERENCES partners (partner_sid),
    name                    text        NOT NULL,
    type                    text        NOT NULL CHECK (type IN ('conference', 'conference_playback', 'flexml', 'mediator',
                                                                'peering_receiver', 'peering_sender', 'system_gateway',
                                                                'third_party', 'voicemail')),
    capacity                integer     NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    addresses               jsonb       NOT NULL DEFAULT '[]',
    attributes              jsonb       NOT NULL DEFAULT '{}',
    properties              jsonb       NOT NULL DEFAULT '{}',
    transformations         jsonb       NOT NULL DEFAULT '[]',
    out_sip_username        text,
    out_sip_password        text,
    voip_token              text,
    allow_custom_caller_id  boolean     NOT NULL DEFAULT false,
    auth_required           boolean     NOT NULL DEFAULT true,
    insecure_address        boolean     NOT NULL DEFAULT false,
    template_sid            uuid,
    date_created            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX endpoints_partner_idx ON endpoints (partner_sid, id);
-- One System Gateway per partner.
CREATE UNIQUE INDEX endpoints_system_gateway_idx ON endpoints (partner_sid) WHERE type = 'system_gateway';

CREATE TABLE trunk_groups (
    id                        bigserial   NOT NULL UNIQUE,
    trunk_group_sid           uuid        PRIMARY KEY,
    partner_sid               uuid        NOT NULL REFERENCES partners (partner_sid),
    name                      text        NOT NULL,
    acls                      jsonb       NOT NULL DEFAULT '[]',
    external_handlers         jsonb       NOT NULL DEFAULT '[]',
    hard_failure_codes        text        NOT NULL DEFAULT '408;',
    hard_failure_cooldown     integer     NOT NULL DEFAULT 120,
    hard_failure_interval     integer     NOT NULL DEFAULT 60,
    hard_failure_last_resort  text        NOT NULL DEFAULT 'first',
    hard_failure_threshold    integer     NOT NULL DEFAULT 3,
    routing_data              jsonb,
    routing_type              text        NOT NULL DEFAULT 'failover',
    sip_options_locations     jsonb       NOT NULL DEFAULT '[]',
    sip_options_threshold     integer     NOT NULL DEFAULT 3,
    soft_failure_codes        text        NOT NULL DEFAULT '408;',
    transformations           jsonb       NOT NULL DEFAULT '[]',
    date_created              timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX trunk_groups_partner_idx ON trunk_groups (partner_sid, id);

CREATE TABLE trunks (
    id                  bigserial   NOT NULL UNIQUE,
    trunk_sid           uuid        PRIMARY KEY,
    trunk_group_sid     uuid        NOT NULL REFERENCES trunk_groups (trunk_group_sid) ON DELETE CASCADE,
    name                text        NOT NULL,
    acls                jsonb       NOT NULL DEFAULT '[]',
    allow_forward       text        NOT NULL DEFAULT 'disabled',
    allow_transfer      boolean     NOT NULL DEFAULT false,
    asn_mode            text        NOT NULL DEFAULT 'disable',
    call_type           text        NOT NULL DEFAULT 'regular',
    codec               text,
    endpoint_sid        uuid        REFERENCES endpoints (endpoint_sid),
    in_capacity         integer     NOT NULL DEFAULT 0,
    in_identity_format  text        NOT NULL DEFAULT 'passthrough',
    in_identity_mode    text        NOT NULL DEFAULT 'passthrough',
    in_rfc_4694_mode    text        NOT NULL DEFAULT 'cut_all',
    location_sid        uuid,
    out_capacity        integer     NOT NULL DEFAULT 0,
    out_identity_mode   text        NOT NULL DEFAULT 'passthrough',
    out_rfc_4694_mode   text        NOT NULL DEFAULT 'cut_all',
    priority            integer     NOT NULL DEFAULT 0,
    relay_sip_headers   jsonb       NOT NULL DEFAULT '[]',
    transformations     jsonb       NOT NULL DEFAULT '[]',
    weight              integer     NOT NULL DEFAULT 0,
    date_created        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX trunks_group_idx ON trunks (trunk_group_sid, id);
CREATE INDEX trunks_endpoint_idx ON trunks (endpoint_sid);

-- Every partner has its System Gateway (those created before this migration get theirs here;
-- the server adds its configured addresses when it creates one).
INSERT INTO endpoints (endpoint_sid, partner_sid, name, type, auth_required)
SELECT gen_random_uuid(), p.partner_sid, 'System Gateway', 'system_gateway', false
  FROM partners p
 WHERE NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.partner_sid = p.partner_sid AND e.type = 'system_gateway');

CREATE TRIGGER endpoints_object_notify
    AFTER UPDATE OR DELETE ON endpoints
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_object('endpoint_sid');
