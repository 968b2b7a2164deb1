-- Completion webhooks: a job may name a URL that is told when the job ends.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS callback_url text;

-- One row per terminal status a job with a callback_url reached, written by the trigger
-- below in the transaction of that write: a crash after the outcome commits cannot lose
-- the delivery, and a rolled-back outcome leaves none. No foreign key to jobs: its
-- referential trigger would run on every update of every job, callback or not.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id           uuid        NOT NULL,
    job_status       text        NOT NULL,
    url              text        NOT NULL,
    state            text        NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    dead_lettered_at timestamptz,
    -- A failed delivery an operator sent again: its copy is a new pending delivery.
    redelivered_at   timestamptz
);

CREATE INDEX IF NOT EXISTS webhook_deliveries_due_idx
    ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_not_lettered_idx
    ON webhook_deliveries (finished_at) WHERE state = 'failed' AND dead_lettered_at IS NULL;
CREATE INDEX IF NOT EXISTS webhook_deliveries_job_idx ON webhook_deliveries (job_id);

-- Every attempt of a delivery, as the job's GET shows it.
CREATE TABLE IF NOT EXISTS webhook_attempts (
    delivery_id bigint           NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer          NOT NULL,
    started_at  timestamptz      NOT NULL,
    duration_ms double precision NOT NULL,
    http_status integer,
    error       text,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE OR REPLACE FUNCTION webhook_delivery_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (job_id, job_status, url)
    VALUES (NEW.id, NEW.status, NEW.callback_url);
    RETURN NULL;
END
$$;

-- The WHEN clause is evaluated on the row in C before anything is queued: a job without
-- a callback_url, or a change that is not to a terminal status, runs no function at all.
-- Every writer is covered: outcomes, the reaper, cancels, an operator's own SQL.
DROP TRIGGER IF EXISTS webhook_delivery_add ON jobs;
CREATE TRIGGER webhook_delivery_add AFTER UPDATE OF status ON jobs
    FOR EACH ROW
    WHEN (NEW.callback_url IS NOT NULL
          AND NEW.status IN ('completed', 'dead', 'cancelled')
          AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION webhook_delivery_add();

-- Deleting jobs (retention, an operator) takes their deliveries along, one statement per
-- statement, as job_listing_keys does.
CREATE OR REPLACE FUNCTION webhook_deliveries_remove() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM webhook_deliveries w USING deleted_jobs d
    WHERE w.job_id = d.id AND d.callback_url IS NOT NULL;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION webhook_deliveries_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE webhook_deliveries, webhook_attempts;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS webhook_deliveries_remove ON jobs;
CREATE TRIGGER webhook_deliveries_remove AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS deleted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_remove();

DROP TRIGGER IF EXISTS webhook_deliveries_clear ON jobs;
CREATE TRIGGER webhook_deliveries_clear AFTER TRUNCATE ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_clear();
