-- Global limits per queue, kept like the limits per job type (016): a claim of a job in
-- a limited queue locks the queue's row, after its type's, so such claims take turns.
CREATE TABLE IF NOT EXISTS queue_limits (
    queue       text             PRIMARY KEY,
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

-- The running attempts of one queue, counted by every claim in a limited queue.
CREATE INDEX IF NOT EXISTS jobs_running_queue_idx ON jobs (queue) WHERE status = 'running';

-- Why a job waits `scheduled`: NULL when its submitter asked for a later run_at, 'slot'
-- when a full concurrency limit held it back (an ending attempt of its type or queue
-- queues it again), 'rate' when a rate had no start left (queued again when the next is
-- due). The scheduler's promote pass still queues every one of them at its run_at, so a
-- release lost to a crash costs a pass, never a job.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS held_back text
    CHECK (held_back IN ('slot', 'rate'));

-- The oldest held-back jobs of a type, or of a queue, which a release takes first.
CREATE INDEX IF NOT EXISTS jobs_held_back_type_idx ON jobs (job_type, created_at, id)
    WHERE status = 'scheduled' AND held_back IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_held_back_queue_idx ON jobs (queue, created_at, id)
    WHERE status = 'scheduled' AND held_back IS NOT NULL;
