DROP INDEX IF EXISTS jobs_dead_updated_idx;
