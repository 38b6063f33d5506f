-- OAuth tokens and partner logins are read by secure ID from each instance's object cache too
-- (0023): their changes are announced. A credentials row without a login_sid (a partner's own
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
