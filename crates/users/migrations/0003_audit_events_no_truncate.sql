-- The row trigger of 0002 does not fire on TRUNCATE; close that gap too.
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON users.audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION users.audit_events_append_only();
