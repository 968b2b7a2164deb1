DROP INDEX IF EXISTS jobs_held_back_idx;
ALTER TABLE jobs DROP COLUMN IF EXISTS held_back;
