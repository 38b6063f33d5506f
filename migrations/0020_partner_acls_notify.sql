-- A partner's ACLs are cached apart from the partner (whose balance changes with every charge):
-- only a change of its ACLs (or its deletion) is announced for them.
CREATE FUNCTION carrierx_notify_partner_acls() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM pg_notify('carrierx_cache', 'object:partner_acls:' || r.partner_sid::text);
    RETURN NULL;
END $$;

CREATE TRIGGER partners_acls_notify
    AFTER UPDATE OF acls, parent_assigned_acls, status OR DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_partner_acls();
