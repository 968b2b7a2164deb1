-- GET /v1/jobs?job_type= and ?queue= for a rare value walked jobs_created_idx from the
-- newest job to the oldest, filtering every row: 50-80 ms in a table of 1,000,000.
-- Complete indexes on jobs itself would take an entry for every row version, about
-- four per job; two of them cut batch submits and the drain by 15-20 % in a trial.
-- job_type, queue and created_at never change, so they are copied once, at insert,
-- into a narrow table whose indexes take one entry per job for its whole life.
CREATE TABLE IF NOT EXISTS job_listing_keys (
    job_type   text        NOT NULL,
    queue      text        NOT NULL,
    created_at timestamptz NOT NULL,
    id         uuid        NOT NULL
);

INSERT INTO job_listing_keys (job_type, queue, created_at, id)
SELECT job_type, queue, created_at, id FROM jobs
WHERE NOT EXISTS (SELECT 1 FROM job_listing_keys);

CREATE INDEX IF NOT EXISTS job_listing_keys_type_idx
    ON job_listing_keys (job_type, created_at, id);
CREATE INDEX IF NOT EXISTS job_listing_keys_queue_idx
    ON job_listing_keys (queue, created_at, id);

-- Statement triggers keep the copy exact for every writer (the API, retention, COPY,
-- an operator's SQL, TRUNCATE) at one statement per statement, not one per row.
CREATE OR REPLACE FUNCTION job_listing_keys_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_listing_keys (job_type, queue, created_at, id)
    SELECT job_type, queue, created_at, id FROM inserted_jobs;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION job_listing_keys_remove() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM job_listing_keys k USING deleted_jobs d
    WHERE k.job_type = d.job_type AND k.created_at = d.created_at AND k.id = d.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION job_listing_keys_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE job_listing_keys;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS job_listing_keys_add ON jobs;
CREATE TRIGGER job_listing_keys_add AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION job_listing_keys_add();

DROP TRIGGER IF EXISTS job_listing_keys_remove ON jobs;
CREATE TRIGGER job_listing_keys_remove AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS deleted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION job_listing_keys_remove();

DROP TRIGGER IF EXISTS job_listing_keys_clear ON jobs;
CREATE TRIGGER job_listing_keys_clear AFTER TRUNCATE ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION job_listing_keys_clear();

-- The finished-only index of 005 answered job_type for finished jobs alone.
DROP INDEX IF EXISTS jobs_type_created_idx;
