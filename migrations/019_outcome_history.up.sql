-- The dashboard's throughput: attempts ended per queue in 10 s buckets over the last
-- fifteen minutes, saved by each API process from the outcome notices it hears, so one
-- that starts shows the minutes before it. Every process hears every notice, so a
-- bucket keeps the highest count any process saved for it.
CREATE TABLE IF NOT EXISTS outcome_counts (
    bucket    timestamptz NOT NULL,
    queue     text        NOT NULL,
    completed bigint      NOT NULL CHECK (completed >= 0),
    failed    bigint      NOT NULL CHECK (failed >= 0),
    dead      bigint      NOT NULL CHECK (dead >= 0),
    PRIMARY KEY (bucket, queue)
);
