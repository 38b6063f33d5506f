-- Trunk groups are read by secure ID from every instance's object cache: a change is announced.
CREATE TRIGGER trunk_groups_object_notify
    AFTER UPDATE OR DELETE ON trunk_groups
    FOR EACH ROW EXECUTE FUNCTION carrierx_notify_object('trunk_group_sid');
