ALTER TABLE jobs ADD COLUMN IF NOT EXISTS dead_lettered_at timestamptz;

-- Jobs already dead before this column existed were published when they died.
UPDATE jobs SET dead_lettered_at = updated_at WHERE status = 'dead' AND dead_lettered_at IS NULL;

CREATE INDEX IF NOT EXISTS jobs_running_lease_idx
    ON jobs (lease_expires_at) WHERE status = 'running';

CREATE INDEX IF NOT EXISTS jobs_dead_not_lettered_idx
    ON jobs (updated_at) WHERE status = 'dead' AND dead_lettered_at IS NULL;

CREATE INDEX IF NOT EXISTS jobs_waiting_idx
    ON jobs (updated_at) WHERE status IN ('pending', 'queued');
