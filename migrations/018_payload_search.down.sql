CREATE INDEX IF NOT EXISTS jobs_dead_error_trgm_idx
    ON jobs USING gin (last_error gin_trgm_ops) WHERE status = 'dead';
DROP INDEX IF EXISTS jobs_error_trgm_idx;
DROP INDEX IF EXISTS jobs_payload_idx;
