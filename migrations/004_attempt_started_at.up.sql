ALTER TABLE jobs ADD COLUMN IF NOT EXISTS started_at timestamptz;
