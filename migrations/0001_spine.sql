-- The spine: partners, their credentials, OAuth clients and tokens, billing methods,
-- email verification, the mail outbox, countries, and cache invalidation notifications.

CREATE TABLE partners (
    id                     bigserial   NOT NULL UNIQUE,
    partner_sid            uuid        PRIMARY KEY,
    parent_sid             uuid        REFERENCES partners (partner_sid),
    -- '/<root sid>/.../<own sid>/': a partner's subtree is every path starting with its own.
    tree_path              text        NOT NULL UNIQUE,
    display_id             text        NOT NULL UNIQUE,
    login                  text        NOT NULL UNIQUE,
    name                   text,
    company_name           text,
    address1               text,
    address2               text,
    city                   text,
    state                  text,
    zip                    text,
    country_code           text,
    phonenumber            text,
    owner_email            text,
    owner_email_pending    text,
    tech_email             text,
    tech_email_pending     text,
    billing_email          text,
    billing_email_pending  text,
    compliance_email       text,
    attributes             jsonb       NOT NULL DEFAULT '{}',
    callbacks              jsonb       NOT NULL DEFAULT '{}',
    acls                   jsonb       NOT NULL DEFAULT '[]',
    parent_assigned_acls   jsonb       NOT NULL DEFAULT '[]',
    transformations        jsonb       NOT NULL DEFAULT '[]',
    system_attributes      jsonb       NOT NULL DEFAULT '{}',
    available_scopes       text[]      NOT NULL DEFAULT '{}',
    balance                numeric     NOT NULL DEFAULT 0,
    charge_at              numeric,
    prepay_amount          numeric,
    spending_limit         numeric     NOT NULL DEFAULT 0,
    daily_spending_limit   numeric,
    daily_spent_amount     numeric     NOT NULL DEFAULT 0,
    payment_type           text        NOT NULL CHECK (payment_type IN ('prepay', 'postpay')),
    status                 text        NOT NULL CHECK (status IN ('active', 'canceled', 'deleted', 'suspended', 'unconfirmed', 'unverified')),
    date_created           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX partners_tree_path_idx ON partners (tree_path text_pattern_ops);
CREATE INDEX partners_parent_sid_idx ON partners (parent_sid);

-- Every login that can authenticate: a partner's own (login_sid NULL) and its sub-logins.
CREATE TABLE credentials (
    login              text        PRIMARY KEY,
    partner_sid        uuid        NOT NULL REFERENCES partners (partner_sid) ON DELETE CASCADE,
    login_sid          uuid        UNIQUE,
    password_hash      text        NOT NULL,
    token_scopes       text[],
    use_on_root_login  boolean     NOT NULL DEFAULT false,
    date_created       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE UNIQUE INDEX credentials_own_login_idx ON credentials (partner_sid) WHERE login_sid IS NULL;
CREATE INDEX credentials_partner_sid_idx ON credentials (partner_sid);

CREATE TABLE oauth_clients (
    client_id           text        PRIMARY KEY,
    client_secret_hash  text        NOT NULL,
    date_created        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE oauth_tokens (
    id                             bigserial   NOT NULL UNIQUE,
    token_sid                      uuid        PRIMARY KEY,
    partner_sid                    uuid        NOT NULL REFERENCES partners (partner_sid) ON DELETE CASCADE,
    client_id                      text        NOT NULL,
    access_token                   text        NOT NULL,
    access_token_hash              bytea       NOT NULL UNIQUE,
    refresh_token                  text        NOT NULL,
    refresh_token_hash             bytea       NOT NULL UNIQUE,
    name                           text,
    scopes                         text[]      NOT NULL,
    login_sid                      uuid,
    partner_login                  text,
    visibility                     text        NOT NULL DEFAULT 'common' CHECK (visibility IN ('common', 'system')),
    date_created                   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_expiration_access_token   timestamptz NOT NULL,
    date_expiration_refresh_token  timestamptz NOT NULL,
    date_last_accessed             timestamptz,
    ip_last_accessed               text,
    date_last_modified             timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX oauth_tokens_partner_sid_idx ON oauth_tokens (partner_sid, id);

CREATE TABLE billing_methods (
    partner_sid        uuid        PRIMARY KEY REFERENCES partners (partner_sid) ON DELETE CASCADE,
    type               text        NOT NULL,
    address1           text,
    address2           text,
    cc_expiration      text,
    cc_number_last4    text,
    city               text,
    country_code       text,
    ec_account_last4   text,
    ec_routing_number  text,
    first_name         text,
    last_name          text,
    phone              text,
    state              text,
    zip                text,
    date_created       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE email_verifications (
    token_hash    bytea       PRIMARY KEY,
    partner_sid   uuid        NOT NULL REFERENCES partners (partner_sid) ON DELETE CASCADE,
    kind          text        NOT NULL CHECK (kind IN ('owner_email', 'tech_email', 'billing_email')),
    email         text        NOT NULL,
    date_created  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_used     timestamptz
);
CREATE INDEX email_verifications_partner_idx ON email_verifications (partner_sid);

-- Mail is written here in the transaction that causes it and delivered by a background job.
CREATE TABLE mail_outbox (
    id             bigserial   PRIMARY KEY,
    mail_sid       uuid        NOT NULL UNIQUE,
    partner_sid    uuid,
    recipients     text[]      NOT NULL,
    subject        text        NOT NULL,
    body_text      text        NOT NULL,
    body_html      text,
    attachment_name  text,
    attachment_type  text,
    attachment     bytea,
    date_created   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_sent      timestamptz,
    attempts       integer     NOT NULL DEFAULT 0,
    next_attempt   timestamptz NOT NULL DEFAULT now(),
    last_error     text
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt) WHERE date_sent IS NULL;

CREATE TABLE countries (
    id                 serial  NOT NULL UNIQUE,
    iso_3166_alpha_3   text    PRIMARY KEY,
    iso_3166_alpha_2   text    NOT NULL UNIQUE,
    iso_3166_numeric   integer NOT NULL,
    common_name        text    NOT NULL,
    official_name      text    NOT NULL,
    capital            text,
    dialing_prefix     text,
    domain             text,
    mcc                text,
    region             text,
    subregion          text
);

-- Cache invalidation: every change that can alter what a credential grants, and every change of a
-- cached object, is announced on the 'carrierx_cache' channel, delivered at commit to every
-- server instance.
CREATE FUNCTION carrierx_notify_auth() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'oauth_tokens' THEN
        PERFORM pg_notify('carrierx_cache', 'token:' || r.token_sid::text);
    ELSE
        PERFORM pg_notify('carrierx_cache', 'partner:' || r.partner_sid::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER partners_auth_notify
    AFTER UPDATE OF available_scopes, status, tree_path, parent_sid OR DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_auth();
CREATE TRIGGER credentials_auth_notify
    AFTER UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_auth();
CREATE TRIGGER oauth_tokens_auth_notify
    AFTER UPDATE OF scopes, date_expiration_access_token, date_expiration_refresh_token, partner_sid OR DELETE ON oauth_tokens
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_auth();

-- Objects cached by SID: 'object:<table>:<sid>' on any change; the trigger's argument names the
-- table's secure-ID column.
CREATE FUNCTION carrierx_notify_object() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM pg_notify('carrierx_cache', 'object:' || TG_TABLE_NAME || ':' || (to_jsonb(r) ->> TG_ARGV[0]));
    RETURN NULL;
END $$;

CREATE TRIGGER partners_object_notify
    AFTER UPDATE OR DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_object('partner_sid');
