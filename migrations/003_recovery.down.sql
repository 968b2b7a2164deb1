DROP INDEX IF EXISTS jobs_waiting_idx;
DROP INDEX IF EXISTS jobs_dead_not_lettered_idx;
DROP INDEX IF EXISTS jobs_running_lease_idx;
ALTER TABLE jobs DROP COLUMN IF EXISTS dead_lettered_at;
