-- Messaging: every SMS/MMS a partner sends or receives is one row, both the SMS object
-- (`/sms/messages`, by `message_sid`) and its message detail record (`/sms/message_drs`, by
-- `dr_sid`); records ingested through the admin route have a row each too. The simulated network
-- moves a message along its statuses (`next_step_at`: when its next change is due).
CREATE TABLE messages (
    id                  bigserial   NOT NULL UNIQUE,
    message_sid         uuid        PRIMARY KEY,
    dr_sid              uuid        NOT NULL UNIQUE,
    partner_sid         uuid        NOT NULL REFERENCES partners (partner_sid),
    -- The partner's number the message went through (sent from or received on), when known.
    did_sid             uuid,
    direction           text        NOT NULL,
    type                text        NOT NULL CHECK (type IN ('sms', 'mms')),
    status              text        NOT NULL,
    number_src          text        NOT NULL,
    number_dst          text        NOT NULL,
    number_billing      text,
    number_external     text,
    number_group_dst    text[]      NOT NULL DEFAULT '{}',
    group_recipients    text[]      NOT NULL DEFAULT '{}',
    media_urls          text[]      NOT NULL DEFAULT '{}',
    message             text,
    message_segments    integer     NOT NULL DEFAULT 1,
    user_data           text,
    mcc                 integer,
    mnc                 integer,
    rate                numeric,
    price               numeric,
    mcc_mnc_rate        numeric,
    mcc_mnc_price       numeric,
    passthrough_rate    numeric,
    passthrough_price   numeric,
    a2p_campaign        text,
    p2p_nnid            text,
    provider            text,
    registration_type   text,
    vendor_error_code   text,
    version             integer,
    -- Spelled `from_did`/`to_did` on the wire when the message was sent with those names.
    legacy_names        boolean     NOT NULL DEFAULT false,
    date_created        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_changed        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_status_changed timestamptz,
    date_sent           timestamptz,
    -- When delivery ended (the record's order); the creation time until then.
    date_stop           timestamptz NOT NULL,
    delay_sent          integer,
    next_step_at        timestamptz
);
-- A partner's messages in creation order (GET /sms/messages).
CREATE INDEX messages_partner_idx ON messages (partner_sid, id);
-- A partner's records in date_stop order, and everyone's (a parent reading its tree, admins).
CREATE INDEX messages_partner_stop_idx ON messages (partner_sid, date_stop, dr_sid);
CREATE INDEX messages_stop_idx ON messages (date_stop, dr_sid);
-- What the simulated network has to do next.
CREATE INDEX messages_due_idx ON messages (next_step_at) WHERE next_step_at IS NOT NULL;

-- The callback outbox: every POST the server owes a partner's application, delivered by a worker
-- on any instance (claimed with SKIP LOCKED, leased while in flight), retried with back-off.
CREATE TABLE callbacks (
    id                  bigserial   PRIMARY KEY,
    callback_sid        uuid        NOT NULL UNIQUE,
    partner_sid         uuid        NOT NULL,
    event               text        NOT NULL,
    -- The object the callback is about (a message_sid).
    object_sid          uuid,
    url                 text        NOT NULL,
    -- host:port of the URL: a slow receiver holds back only its own callbacks.
    authority           text        NOT NULL,
    -- As POSTed (json keeps the text: its keys in the record's order).
    body                json        NOT NULL,
    status              text        NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts            integer     NOT NULL DEFAULT 0,
    -- One entry per attempt: {attempt, date, response_status, error, duration_ms}.
    attempt_log         jsonb       NOT NULL DEFAULT '[]',
    response_status     integer,
    error               text,
    date_created        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_changed        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_delivered      timestamptz,
    -- When the next attempt is due (or the lease of the one in flight ends); NULL when done.
    next_attempt_at     timestamptz
);
CREATE INDEX callbacks_due_idx ON callbacks (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX callbacks_partner_idx ON callbacks (partner_sid, id);
CREATE INDEX callbacks_object_idx ON callbacks (object_sid);

-- Charges whose amount was taken from the balance when they were made (a partner's spending,
-- checked against its limits at once): folded into the invoice lines only.
ALTER TABLE pending_charges ADD COLUMN balance_taken boolean NOT NULL DEFAULT false;

-- Both tables are queues as much as records: each row is updated a few times within seconds of
-- its insert (statuses, attempts), and the workers' claims scan the due rows first. Vacuumed as
-- soon as a thousand rows are dead (not a fifth of the table), at full speed: the dead versions
-- never pile up in front of the claims. (The embedded cluster also looks every second.)
ALTER TABLE messages SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                          autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE callbacks SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                           autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.02);
