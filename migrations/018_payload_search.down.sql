DROP INDEX IF EXISTS jobs_payload_idx;
