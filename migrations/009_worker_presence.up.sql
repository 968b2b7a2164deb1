-- One row per worker name: the incarnation that holds the name announces itself every
-- WORKER_HEARTBEAT_INTERVAL. A row silent for WORKER_LIVENESS is retired by a scheduler,
-- which hands its attempts and its unacknowledged messages to the live workers, then
-- deletes the row. Times are the database's own clock, so worker hosts' clocks need
-- not agree.
CREATE TABLE IF NOT EXISTS workers (
    name         text        PRIMARY KEY,
    incarnation  uuid        NOT NULL,
    host         text        NOT NULL,
    pid          integer     NOT NULL,
    queues       text[]      NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    in_flight    integer     NOT NULL DEFAULT 0,
    retired_at   timestamptz
);
