-- OAuth tokens, partner logins, shortener domains and links and rate plans are read by secure ID
-- from each instance's object cache too (0023): their changes are announced. A credentials row without a login_sid (a partner's own
-- login) is never cached: the function now leaves NULL secure IDs out.
CREATE OR REPLACE FUNCTION carrierx_notify_objects() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col  text;
    sids text[];
    s    text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        EXECUTE format('SELECT array_agg(x) FROM (SELECT %I::text AS x FROM changed_rows WHERE %I IS NOT NULL LIMIT 101) q',
                       col, col) INTO sids;
        IF sids IS NULL THEN
            CONTINUE;
        ELSIF array_length(sids, 1) > 100 THEN
            PERFORM pg_notify('carrierx_cache', 'object:' || TG_TABLE_NAME);
            RETURN NULL;
        END IF;
        FOREACH s IN ARRAY sids LOOP
            PERFORM pg_notify('carrierx_cache', 'object:' || TG_TABLE_NAME || ':' || s);
        END LOOP;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER oauth_tokens_objects_updated AFTER UPDATE ON oauth_tokens REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('token_sid');
CREATE TRIGGER oauth_tokens_objects_deleted AFTER DELETE ON oauth_tokens REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('token_sid');
CREATE TRIGGER credentials_objects_updated AFTER UPDATE ON credentials REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('login_sid');
CREATE TRIGGER credentials_objects_deleted AFTER DELETE ON credentials REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('login_sid');

-- Shortener links read by secure ID show their hits (added once a second) and their domain's
-- name and scheme: every change of a link is announced, once per statement (it was announced per
-- row for what the redirect service reads), and a change of a domain drops every cached link.
DROP TRIGGER shortener_links_object_notify ON shortener_links;
CREATE TRIGGER shortener_links_objects_updated AFTER UPDATE ON shortener_links REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('link_sid');
CREATE TRIGGER shortener_links_objects_deleted AFTER DELETE ON shortener_links REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('link_sid');
-- Drops a table's cached objects whole: the table named by the trigger's argument, else its own.
CREATE FUNCTION carrierx_notify_table_objects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('carrierx_cache', 'object:' || COALESCE(TG_ARGV[0], TG_TABLE_NAME));
    RETURN NULL;
END $$;
CREATE TRIGGER shortener_domains_links_notify
    AFTER UPDATE OF domain_name, secure ON shortener_domains
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_table_objects('shortener_links');

-- Rate plans (admin) show how many items they hold.
CREATE TRIGGER rate_plans_objects_updated AFTER UPDATE ON rate_plans REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('rates_plan_sid');
CREATE TRIGGER rate_plans_objects_deleted AFTER DELETE ON rate_plans REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects('rates_plan_sid');
CREATE TRIGGER rate_plan_items_plan_inserted AFTER INSERT ON rate_plan_items REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_parent_objects('rate_plans', 'rates_plan_sid', 'rates_plan_sid', 'rates_plan_sid');
CREATE TRIGGER rate_plan_items_plan_updated AFTER UPDATE ON rate_plan_items REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_parent_objects('rate_plans', 'rates_plan_sid', 'rates_plan_sid', 'rates_plan_sid');
CREATE TRIGGER rate_plan_items_plan_deleted AFTER DELETE ON rate_plan_items REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_parent_objects('rate_plans', 'rates_plan_sid', 'rates_plan_sid', 'rates_plan_sid');

-- Which plan rates a partner's messages is kept per (partner, direction, kind): any change of the
-- assignments, an insert included (a partner's own plan takes over from the default), drops them.
CREATE TRIGGER rate_plan_assignments_objects_changed AFTER INSERT OR UPDATE OR DELETE ON rate_plan_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_table_objects();
