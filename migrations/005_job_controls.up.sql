ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN (
    'pending', 'scheduled', 'queued', 'running', 'retrying', 'completed', 'dead', 'cancelled'));

ALTER TABLE jobs ADD COLUMN IF NOT EXISTS worker text;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS cancel_requested_at timestamptz;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS replays integer NOT NULL DEFAULT 0;

-- One row per finished attempt, written in the same statement as the outcome.
CREATE TABLE IF NOT EXISTS job_attempts (
    job_id      uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt     integer     NOT NULL,
    worker      text,
    started_at  timestamptz,
    finished_at timestamptz NOT NULL,
    outcome     text        NOT NULL,
    error       text,
    PRIMARY KEY (job_id, attempt)
);

-- Keyset pagination of GET /v1/jobs, newest first. A status change writes a new row
-- version into every index on the table, four times per job, so only the newest-first
-- index is complete: the per-filter ones hold finished rows only, which a job becomes
-- once. Waiting and running jobs are the newest and are found by jobs_created_idx.
CREATE INDEX IF NOT EXISTS jobs_created_idx ON jobs (created_at, id);
CREATE INDEX IF NOT EXISTS jobs_status_created_idx ON jobs (status, created_at, id)
    WHERE status IN ('completed', 'dead', 'cancelled');
CREATE INDEX IF NOT EXISTS jobs_type_created_idx ON jobs (job_type, created_at, id)
    WHERE status IN ('completed', 'dead', 'cancelled');

-- Lookups by status are served by the partial indexes of 002, 003 and the above.
DROP INDEX IF EXISTS jobs_status_idx;

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS jobs_dead_error_trgm_idx
    ON jobs USING gin (last_error gin_trgm_ops) WHERE status = 'dead';
