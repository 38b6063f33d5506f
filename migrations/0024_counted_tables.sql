-- Lists' totals are remembered until a table they count changes (src/db/counts.rs): inserts into
-- those tables are announced too ('table:<name>', once per statement); their updates and deletes
-- are announced already ('object:<table>...', migrations 0001 and 0023).
CREATE FUNCTION carrierx_notify_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('carrierx_cache', 'table:' || TG_TABLE_NAME);
    RETURN NULL;
END $$;

CREATE TRIGGER dids_table_inserted AFTER INSERT ON dids
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_table();
CREATE TRIGGER partners_table_inserted AFTER INSERT ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_table();
