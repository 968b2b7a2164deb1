CREATE INDEX IF NOT EXISTS jobs_status_run_at_idx ON jobs (status, run_at);
