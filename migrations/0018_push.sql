-- Push: applications (their credentials for APNs and Firebase: the secret ones stored as argon2
-- hashes with a mask to show), devices, and what the simulated push network delivered.
CREATE TABLE push_applications (
    id                  bigserial   NOT NULL UNIQUE,
    application_sid     uuid        PRIMARY KEY,
    partner_sid         uuid        NOT NULL REFERENCES partners (partner_sid),
    name                text        NOT NULL DEFAULT 'N/A',
    apns_id             text,
    apns_key_id         text,
    apns_team_id        text,
    apns_topic          text,
    apns_p12_expiration timestamptz,
    google_id           text,
    -- Secrets: {"hash": argon2 PHC string, "mask": "****" and the last four characters}.
    secrets             jsonb       NOT NULL DEFAULT '{}',
    date_created        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX push_applications_partner_idx ON push_applications (partner_sid, id);

CREATE TABLE push_devices (
    id                   bigserial   NOT NULL UNIQUE,
    device_sid           uuid        PRIMARY KEY,
    partner_sid          uuid        NOT NULL REFERENCES partners (partner_sid),
    application_sid      uuid        NOT NULL REFERENCES push_applications (application_sid) ON DELETE CASCADE,
    application_version  text        NOT NULL DEFAULT '',
    environment          text        NOT NULL DEFAULT 'production',
    os_version           text        NOT NULL DEFAULT '',
    token                text        NOT NULL,
    type                 text        NOT NULL,
    date_created         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX push_devices_partner_idx ON push_devices (partner_sid, id);
-- `?reuse=true`: a device with the same token, type and environment.
CREATE INDEX push_devices_reuse_idx ON push_devices (partner_sid, token, type, environment);

-- Every notification the simulated push network carried, per device (GET /admin/simulator/push).
CREATE TABLE push_deliveries (
    id                bigserial   PRIMARY KEY,
    delivery_sid      uuid        NOT NULL UNIQUE,
    notification_sid  uuid        NOT NULL,
    partner_sid       uuid        NOT NULL REFERENCES partners (partner_sid),
    device_sid        uuid        NOT NULL,
    application_sid   uuid,
    device_type       text,
    result            text        NOT NULL,
    notification      jsonb       NOT NULL,
    date_created      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX push_deliveries_partner_idx ON push_deliveries (partner_sid, id);
CREATE INDEX push_deliveries_device_idx ON push_deliveries (device_sid, id);
