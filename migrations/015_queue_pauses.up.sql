-- A paused queue keeps taking jobs but no worker starts them. The pause lives here, in
-- the system of record, so it outlives whatever Redis loses.
CREATE TABLE IF NOT EXISTS queue_pauses (
    queue     text        PRIMARY KEY,
    paused_at timestamptz NOT NULL,
    paused_by text        NOT NULL
);

-- The weight of each queue in `queues`, as the worker's WORKER_QUEUES gives it.
ALTER TABLE workers ADD COLUMN IF NOT EXISTS queue_weights integer[] NOT NULL DEFAULT '{}';
