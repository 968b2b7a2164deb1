CREATE INDEX IF NOT EXISTS jobs_type_created_idx ON jobs (job_type, created_at, id)
    WHERE status IN ('completed', 'dead', 'cancelled');
DROP TRIGGER IF EXISTS job_listing_keys_clear ON jobs;
DROP TRIGGER IF EXISTS job_listing_keys_remove ON jobs;
DROP TRIGGER IF EXISTS job_listing_keys_add ON jobs;
DROP FUNCTION IF EXISTS job_listing_keys_clear();
DROP FUNCTION IF EXISTS job_listing_keys_remove();
DROP FUNCTION IF EXISTS job_listing_keys_add();
DROP TABLE IF EXISTS job_listing_keys;
