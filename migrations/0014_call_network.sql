-- Calls on the simulated network, and conference call detail records.

-- The calls in progress on the simulated network: what holds a trunk's or an endpoint's
-- capacity until the call ends (rows past their end are deleted by the network worker; the
-- counts never look at them).
CREATE TABLE active_calls (
    call_sid      uuid        PRIMARY KEY,
    partner_sid   uuid        NOT NULL,
    direction     text        NOT NULL,
    trunk_sid     uuid        NOT NULL,
    endpoint_sid  uuid,
    ends_at       timestamptz NOT NULL
);
CREATE INDEX active_calls_trunk_idx ON active_calls (trunk_sid, direction, ends_at);
CREATE INDEX active_calls_endpoint_idx ON active_calls (endpoint_sid, ends_at);
CREATE INDEX active_calls_ends_idx ON active_calls (ends_at);
ALTER TABLE active_calls SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                              autovacuum_vacuum_cost_delay = 0);

-- A round-robin trunk group's turn: which trunk the next call starts with.
CREATE TABLE trunk_group_turns (
    trunk_group_sid  uuid    PRIMARY KEY REFERENCES trunk_groups (trunk_group_sid) ON DELETE CASCADE,
    turn             bigint  NOT NULL DEFAULT 0
);

-- Conference call detail records (`/app/conference/calls`): keyset pages in date_stop order,
-- like call records.
CREATE TABLE conference_calls (
    call_sid               uuid        PRIMARY KEY,
    partner_sid            uuid        NOT NULL REFERENCES partners (partner_sid),
    date_stop              timestamptz NOT NULL,
    date_start             timestamptz,
    date_join              timestamptz,
    date_disconnected      timestamptz,
    date_insert            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    address_dst            text,
    address_src            text,
    audio_key              text,
    bridge                 text,
    custom_call_type       text,
    custom_name            text,
    direction              text,
    disconnect_cause       integer,
    disconnect_originator  text,
    disconnect_reason      text,
    duration               numeric,
    duration_meeting       numeric,
    endpoint_sid           uuid,
    meeting_room_sid       uuid,
    meeting_sid            uuid,
    node                   text,
    number_dst             text,
    number_src             text,
    role                   text,
    user_agent             text
);
CREATE INDEX conference_calls_partner_stop_idx ON conference_calls (partner_sid, date_stop, call_sid);
CREATE INDEX conference_calls_stop_idx ON conference_calls (date_stop, call_sid);

-- The routing prefixes a number dialed starts with (the longest routes an inbound call).
CREATE INDEX prefixes_prefix_idx ON prefixes (prefix);
