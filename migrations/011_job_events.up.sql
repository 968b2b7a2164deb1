-- revision counts the changes a waiter sees (status and progress): the id of the job's
-- server-sent events. The statements that make those changes bump it and send one
-- NOTIFY on channel taskforge_job_changes per batch statement (not per row), naming
-- each changed job as "id:revision:status"; the API's listener wakes its waiters.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS revision bigint NOT NULL DEFAULT 0;

-- The last progress a handler reported for the job's current attempt (0..1, a short
-- message); NULL when it never reported.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS progress double precision
    CHECK (progress IS NULL OR (progress >= 0 AND progress <= 1));
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS progress_message text
    CHECK (progress_message IS NULL OR length(progress_message) <= 200);
