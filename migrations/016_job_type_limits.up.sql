-- Global limits per job type. A claim of a limited type locks its row, so claims of one
-- type start their attempts one after another; the rate's token bucket lives in the row.
CREATE TABLE IF NOT EXISTS job_type_limits (
    job_type    text             PRIMARY KEY,
    concurrency integer          CHECK (concurrency > 0),
    rate        integer          CHECK (rate > 0),
    rate_per    text             CHECK (rate_per IN ('second', 'minute', 'hour')),
    tokens      double precision,
    refilled_at timestamptz,
    updated_at  timestamptz      NOT NULL,
    updated_by  text             NOT NULL,
    CHECK (concurrency IS NOT NULL OR rate IS NOT NULL),
    CHECK ((rate IS NULL) = (rate_per IS NULL))
);

-- The running attempts of one type, counted by every claim of a limited type.
CREATE INDEX IF NOT EXISTS jobs_running_type_idx ON jobs (job_type) WHERE status = 'running';
