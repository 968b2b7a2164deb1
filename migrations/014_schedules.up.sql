-- Schedules: what each one submits and when, and its cursor. next_tick is the earliest
-- tick not yet handled; a scheduler fires the due ticks of a row it holds locked and
-- moves the cursor in the same transaction. Exactly once per tick rests on the job's
-- idempotency key, schedule:<name>:<tick>, unique in jobs: a scheduler that died after
-- submitting leaves the cursor behind, and the next one meets the job already there.
CREATE TABLE IF NOT EXISTS schedules (
    name          text        PRIMARY KEY,
    cron          text,
    every_seconds bigint,
    timezone      text        NOT NULL,
    job_type      text        NOT NULL,
    payload       jsonb       NOT NULL DEFAULT '{}',
    queue         text        NOT NULL,
    max_attempts  integer,
    catch_up      text        NOT NULL,
    overlap       text        NOT NULL,
    paused        boolean     NOT NULL DEFAULT false,
    next_tick     timestamptz,
    last_tick     timestamptz,
    last_job_id   uuid,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT schedules_one_cadence CHECK ((cron IS NULL) <> (every_seconds IS NULL))
);
-- The schedulers' question, many times a second: which active schedule is due next.
CREATE INDEX IF NOT EXISTS schedules_due ON schedules (next_tick) WHERE NOT paused;
