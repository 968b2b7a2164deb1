-- API keys: the secret itself is never stored, only its SHA-256; key_id is the public
-- part of the key that finds the row. A revoked key keeps its row (and its name), so
-- the audit trail's names stay unambiguous.
CREATE TABLE IF NOT EXISTS api_keys (
    name          text        PRIMARY KEY,
    key_id        text        NOT NULL UNIQUE,
    secret_sha256 bytea       NOT NULL,
    scopes        text[]      NOT NULL,
    queues        text[],
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz
);

-- Every operator write: who, what, to which jobs or with which filter, when, and the
-- request it came with. Read newest first, by actor, action or job.
CREATE TABLE IF NOT EXISTS audit_events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    job_ids    uuid[]      NOT NULL DEFAULT '{}',
    details    jsonb       NOT NULL DEFAULT '{}',
    request_id text
);
CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events (at);
CREATE INDEX IF NOT EXISTS audit_events_actor ON audit_events (actor, id);
CREATE INDEX IF NOT EXISTS audit_events_action ON audit_events (action, id);
CREATE INDEX IF NOT EXISTS audit_events_job_ids ON audit_events USING gin (job_ids);
