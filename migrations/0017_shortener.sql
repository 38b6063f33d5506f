-- The link shortener: domains, and links on them (answered by this server: see
-- resources/shortener/redirect.rs).
CREATE TABLE shortener_domains (
    id                     bigserial   NOT NULL UNIQUE,
    domain_sid             uuid        PRIMARY KEY,
    partner_sid            uuid        NOT NULL REFERENCES partners (partner_sid),
    domain_name            text        NOT NULL UNIQUE,
    expired_mode           text        NOT NULL DEFAULT 'redirect_temporary',
    expired_page           text,
    expired_status_code    integer,
    minimum_length         integer     NOT NULL DEFAULT 6,
    not_found_mode         text        NOT NULL DEFAULT 'redirect_temporary',
    not_found_page         text,
    not_found_status_code  integer,
    scope                  text        NOT NULL DEFAULT 'children',
    secure                 text        NOT NULL DEFAULT 'disabled',
    suffix_pattern         text,
    date_created           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX shortener_domains_partner_idx ON shortener_domains (partner_sid, id);

CREATE TABLE shortener_links (
    id               bigserial   NOT NULL UNIQUE,
    link_sid         uuid        PRIMARY KEY,
    partner_sid      uuid        NOT NULL REFERENCES partners (partner_sid),
    domain_sid       uuid        NOT NULL REFERENCES shortener_domains (domain_sid) ON DELETE CASCADE,
    destination_url  text        NOT NULL,
    short_name       text        NOT NULL,
    maximum_ttl      integer     NOT NULL DEFAULT -1,
    mode             text        NOT NULL DEFAULT 'redirect_temporary',
    hits             bigint      NOT NULL DEFAULT 0,
    date_accessed    timestamptz,
    date_created     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    UNIQUE (domain_sid, short_name)
);
CREATE INDEX shortener_links_partner_idx ON shortener_links (partner_sid, id);
-- `?reuse=true`: a partner's link to the same destination on the same domain.
CREATE INDEX shortener_links_reuse_idx ON shortener_links (partner_sid, domain_sid, destination_url);

-- The redirect service caches what it resolves on every instance: a change is announced.
CREATE TRIGGER shortener_domains_object_notify
    AFTER UPDATE OR DELETE ON shortener_domains
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_object('domain_sid');
CREATE TRIGGER shortener_links_object_notify
    AFTER UPDATE OF destination_url, short_name, maximum_ttl, mode OR DELETE ON shortener_links
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_object('link_sid');
