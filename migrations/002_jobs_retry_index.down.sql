DROP INDEX IF EXISTS jobs_status_run_at_idx;
