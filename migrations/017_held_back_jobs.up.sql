-- Why a job waits `scheduled`: NULL when its submitter asked for a later run_at, 'slot'
-- when a full concurrency limit held it back (an ending attempt of its type queues it
-- again), 'rate' when its rate had no start left (queued again when the next is due).
-- The scheduler's promote pass still queues every one of them at its run_at, so a
-- release lost to a crash costs a pass, never a job.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS held_back text
    CHECK (held_back IN ('slot', 'rate'));

-- The oldest held-back jobs of a type, which a release takes first.
CREATE INDEX IF NOT EXISTS jobs_held_back_idx ON jobs (job_type, created_at, id)
    WHERE status = 'scheduled' AND held_back IS NOT NULL;
