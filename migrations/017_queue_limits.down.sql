DROP INDEX IF EXISTS jobs_held_back_queue_idx;
DROP INDEX IF EXISTS jobs_held_back_type_idx;
ALTER TABLE jobs DROP COLUMN IF EXISTS held_back;
DROP INDEX IF EXISTS jobs_running_queue_idx;
DROP TABLE IF EXISTS queue_limits;
