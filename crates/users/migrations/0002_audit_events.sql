-- Append-only security audit log. No foreign key to accounts: events must outlive the
-- rows they mention and may name no account at all (a login for an unknown email).
CREATE TABLE users.audit_events (
    id          uuid PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,
    event       text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('success', 'failure')),
    ip          inet,
    user_agent  text,
    details     jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_user_idx ON users.audit_events (user_id, occurred_at DESC);
CREATE INDEX audit_events_event_idx ON users.audit_events (event, occurred_at DESC);

CREATE FUNCTION users.audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'users.audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON users.audit_events
    FOR EACH ROW EXECUTE FUNCTION users.audit_events_append_only();
