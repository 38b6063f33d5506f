-- Every object read by secure ID is served from each instance's object cache (src/cache.rs), so
-- every change of its table is announced on 'carrierx_cache'. These triggers fire once per
-- statement (a batch or an ingestion of 10,000 rows does not send 10,000 notifications): up to
-- 100 changed rows are named one by one ('object:<table>:<sid>'), more drop the table's whole
-- cache ('object:<table>'). The arguments name the secure-ID columns the caches are keyed by
-- (a message is read by its message_sid and by its dr_sid). Inserts need no announcement: a new
-- secure ID was never cached.
CREATE FUNCTION carrierx_notify_objects() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col  text;
    sids text[];
    s    text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        EXECUTE format('SELECT array_agg(x) FROM (SELECT %I::text AS x FROM changed_rows LIMIT 101) q', col) INTO sids;
        IF sids IS NULL THEN
            RETURN NULL;
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

-- (A trigger with a transition table has one event: one for updates, one for deletes.)
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('dids', 'did_sid'),
        ('trunks', 'trunk_sid'),
        ('batch_tasks', 'task_sid'),
        ('messages', 'message_sid, dr_sid'),
        ('call_drs', 'dr_sid'),
        ('conference_calls', 'call_sid'),
        ('did_groups', 'did_group_sid'),
        ('short_codes', 'short_code_sid'),
        ('prefixes', 'prefix_sid'),
        ('did_classifications', 'classification_sid'),
        ('push_applications', 'application_sid'),
        ('push_devices', 'device_sid'),
        ('storage_containers', 'container_sid'),
        ('storage_files', 'file_sid'),
        ('email_templates', 'template_sid')
    ) AS v (tbl, cols) LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS changed_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects(%s)',
            t.tbl || '_objects_updated', t.tbl,
            (SELECT string_agg(quote_literal(trim(c)), ', ') FROM unnest(string_to_array(t.cols, ',')) c));
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects(%s)',
            t.tbl || '_objects_deleted', t.tbl,
            (SELECT string_agg(quote_literal(trim(c)), ', ') FROM unnest(string_to_array(t.cols, ',')) c));
    END LOOP;
END $$;

-- A file's object shows its container's publish domain: a change of it drops every cached file.
CREATE FUNCTION carrierx_notify_container_files() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('carrierx_cache', 'object:storage_files');
    RETURN NULL;
END $$;
CREATE TRIGGER storage_containers_files_notify
    AFTER UPDATE OF publish_domain ON storage_containers
    FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_container_files();

-- An object whose JSON holds rows of other tables (an invoice's items, payments and taxes) is
-- announced when those change: `carrierx_notify_parent_objects(parent table, its secure-ID
-- column, its key column, the child's column holding that key)`.
CREATE FUNCTION carrierx_notify_parent_objects() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sids text[];
    s    text;
BEGIN
    EXECUTE format('SELECT array_agg(p.%I::text) FROM %I p WHERE p.%I IN '
                   '(SELECT DISTINCT %I FROM changed_rows LIMIT 101)',
                   TG_ARGV[1], TG_ARGV[0], TG_ARGV[2], TG_ARGV[3]) INTO sids;
    IF sids IS NULL THEN
        RETURN NULL;
    ELSIF array_length(sids, 1) > 100 THEN
        PERFORM pg_notify('carrierx_cache', 'object:' || TG_ARGV[0]);
        RETURN NULL;
    END IF;
    FOREACH s IN ARRAY sids LOOP
        PERFORM pg_notify('carrierx_cache', 'object:' || TG_ARGV[0] || ':' || s);
    END LOOP;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    EXECUTE 'CREATE TRIGGER invoices_objects_updated AFTER UPDATE ON invoices REFERENCING OLD TABLE AS changed_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects(''invoice_sid'')';
    EXECUTE 'CREATE TRIGGER invoices_objects_deleted AFTER DELETE ON invoices REFERENCING OLD TABLE AS changed_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_objects(''invoice_sid'')';
    FOREACH t IN ARRAY ARRAY['invoice_items', 'invoice_pay_items', 'invoice_tax_items'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_parent_objects(''invoices'', ''invoice_sid'', ''id'', ''invoice_id'')',
            t || '_invoice_inserted', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_parent_objects(''invoices'', ''invoice_sid'', ''id'', ''invoice_id'')',
            t || '_invoice_updated', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION carrierx_notify_parent_objects(''invoices'', ''invoice_sid'', ''id'', ''invoice_id'')',
            t || '_invoice_deleted', t);
    END LOOP;
END $$;
