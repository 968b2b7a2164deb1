ALTER TABLE jobs ADD COLUMN IF NOT EXISTS queue text NOT NULL DEFAULT 'normal'
    CHECK (queue ~ '^[a-z0-9_-]{1,32}$');
