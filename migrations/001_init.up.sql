CREATE TABLE IF NOT EXISTS jobs (
    id               uuid        PRIMARY KEY,
    job_type         text        NOT NULL CHECK (job_type <> ''),
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status           text        NOT NULL
        CHECK (status IN ('pending', 'queued', 'running', 'retrying', 'completed', 'dead')),
    attempt          integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts     integer     NOT NULL CHECK (max_attempts >= 1),
    last_error       text,
    result           jsonb,
    idempotency_key  text,
    run_at           timestamptz NOT NULL DEFAULT now(),
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency_key_key
    ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX IF NOT EXISTS jobs_status_idx ON jobs (status);
