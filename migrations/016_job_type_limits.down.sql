DROP INDEX IF EXISTS jobs_running_type_idx;
DROP TABLE IF EXISTS job_type_limits;
