-- GET /v1/jobs?payload_contains=… and ?payload_equals=… are jsonb containment (@>),
-- which jsonb_path_ops answers with one hash per path and value: a smaller index than
-- the default jsonb_ops, and it serves exactly the one operator the search uses.
-- Not CONCURRENTLY: that waits for every open transaction, the other starting processes'
-- wait for the migration lock included, a deadlock. A large table blocks writes while
-- this builds (README, Migrations): build it beforehand with CONCURRENTLY under this
-- name, and this statement finds it there.
CREATE INDEX IF NOT EXISTS jobs_payload_idx ON jobs USING gin (payload jsonb_path_ops);
