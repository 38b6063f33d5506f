-- Access control rules are read by secure ID from every instance's object cache: a change is
-- announced.
CREATE TRIGGER access_control_rules_object_notify
    AFTER UPDATE OR DELETE ON access_control_rules
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_object('rule_sid');
