-- taskforge_enqueue(): a job stored inside the caller's own transaction, from any driver
-- or language, with the rules of POST /v1/jobs. The job exists only if that transaction
-- commits; its NOTIFY is delivered at commit too, and wakes the relay (in every scheduler)
-- that publishes the job to its stream and marks it queued.

-- The rules that depend on the service's settings (QUEUES, SERVICE_MAX_ATTEMPTS,
-- HTTP_MAX_BODY_BYTES). The function cannot read a process's environment, so every
-- relay writes its own settings here when it starts; until one has, the defaults of
-- those variables apply.
CREATE TABLE IF NOT EXISTS taskforge_enqueue_settings (
    only_row             boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    queues               text[]      NOT NULL,
    default_max_attempts integer     NOT NULL,
    max_payload_bytes    integer     NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

INSERT INTO taskforge_enqueue_settings (queues, default_max_attempts, max_payload_bytes)
VALUES (ARRAY['high', 'normal', 'low'], 5, 1048576)
ON CONFLICT (only_row) DO NOTHING;

-- The pending jobs the function stored and no relay has published yet. The API publishes
-- its own pending jobs itself, so a relay must never take those: this table, not the
-- status, tells them apart. A relay locks its rows (SKIP LOCKED) until its publish and
-- its mark are committed, so two relays never publish one job at once. No foreign key:
-- its check cost every enqueue, and a relay releases a row whose job is gone.
CREATE TABLE IF NOT EXISTS job_enqueue_relay (
    job_id uuid PRIMARY KEY
);

CREATE OR REPLACE FUNCTION taskforge_enqueue(
    job_type        text,
    payload         jsonb       DEFAULT '{}',
    queue           text        DEFAULT 'normal',
    max_attempts    integer     DEFAULT NULL,
    run_at          timestamptz DEFAULT NULL,
    idempotency_key text        DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    rules    taskforge_enqueue_settings;
    -- A UUIDv7 (milliseconds since 1970, then random bits): time-ordered, each insert
    -- lands on the primary key's newest page rather than a random one, which halved the
    -- WAL written per job (a full page image for each random page after a checkpoint).
    new_id   uuid := encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
                        substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                                  FROM 3)
                        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid;
    at       timestamptz := clock_timestamp();
    attempts integer := taskforge_enqueue.max_attempts;
    status   text := 'pending';
    stored   uuid;
    existing jobs;
BEGIN
    SELECT * INTO rules FROM taskforge_enqueue_settings;

    -- Error codes (class TF): README, "Enqueue inside your transaction".
    IF taskforge_enqueue.job_type IS NULL
       OR length(taskforge_enqueue.job_type) > 100
       OR taskforge_enqueue.job_type !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' THEN
        RAISE EXCEPTION 'job_type must be 1 to 100 letters, digits and _ . : - starting with a letter or digit'
            USING ERRCODE = 'TF001', COLUMN = 'job_type';
    END IF;
    IF taskforge_enqueue.payload IS NULL OR jsonb_typeof(taskforge_enqueue.payload) <> 'object' THEN
        RAISE EXCEPTION 'payload must be a JSON object, not %',
            coalesce(jsonb_typeof(taskforge_enqueue.payload), 'null')
            USING ERRCODE = 'TF002', COLUMN = 'payload';
    END IF;
    IF octet_length(taskforge_enqueue.payload::text) > rules.max_payload_bytes THEN
        RAISE EXCEPTION 'payload must be at most % bytes as JSON, not %',
            rules.max_payload_bytes, octet_length(taskforge_enqueue.payload::text)
            USING ERRCODE = 'TF007', COLUMN = 'payload';
    END IF;
    IF taskforge_enqueue.queue IS NULL OR NOT taskforge_enqueue.queue = ANY (rules.queues) THEN
        RAISE EXCEPTION 'queue must be one of %', array_to_string(rules.queues, ', ')
            USING ERRCODE = 'TF003', COLUMN = 'queue';
    END IF;
    IF attempts IS NULL THEN
        attempts := rules.default_max_attempts;
    ELSIF attempts NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'max_attempts must be from 1 to 100, not %', attempts
            USING ERRCODE = 'TF004', COLUMN = 'max_attempts';
    END IF;
    -- Past the year 9999 no Python datetime holds it: the service could not read the job.
    IF NOT isfinite(taskforge_enqueue.run_at)
       OR taskforge_enqueue.run_at >= '10000-01-01 00:00:00+00' THEN
        RAISE EXCEPTION 'run_at must be a time before the year 10000, not %',
            taskforge_enqueue.run_at
            USING ERRCODE = 'TF005', COLUMN = 'run_at';
    END IF;
    IF length(taskforge_enqueue.idempotency_key) > 255
       OR taskforge_enqueue.idempotency_key !~ '^[!-~]([ -~]*[!-~])?$' THEN
        RAISE EXCEPTION 'idempotency_key must be 1 to 255 printable ASCII characters, with no space at either end'
            USING ERRCODE = 'TF006', COLUMN = 'idempotency_key';
    END IF;

    IF taskforge_enqueue.run_at > at THEN
        status := 'scheduled';
    END IF;

    IF taskforge_enqueue.idempotency_key IS NULL THEN
        -- Nothing to conflict with: a plain insert spares the speculative one's extra work.
        INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts,
                          idempotency_key, run_at, created_at, updated_at, queue)
        VALUES (new_id, taskforge_enqueue.job_type, taskforge_enqueue.payload, status, 0,
                attempts, NULL, greatest(coalesce(taskforge_enqueue.run_at, at), at), at, at,
                taskforge_enqueue.queue);
    ELSE
        LOOP
            INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts,
                              idempotency_key, run_at, created_at, updated_at, queue)
            VALUES (new_id, taskforge_enqueue.job_type, taskforge_enqueue.payload, status, 0,
                    attempts, taskforge_enqueue.idempotency_key,
                    greatest(coalesce(taskforge_enqueue.run_at, at), at), at, at,
                    taskforge_enqueue.queue)
            ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id INTO stored;
            EXIT WHEN stored IS NOT NULL;

            -- The key is known: the same request gets its first job, another is refused.
            SELECT * INTO existing FROM jobs
            WHERE jobs.idempotency_key = taskforge_enqueue.idempotency_key;
            IF FOUND THEN
                IF existing.job_type = taskforge_enqueue.job_type
                   AND existing.queue = taskforge_enqueue.queue
                   AND existing.payload = taskforge_enqueue.payload
                   AND (taskforge_enqueue.max_attempts IS NULL
                        OR existing.max_attempts = taskforge_enqueue.max_attempts) THEN
                    RETURN existing.id;
                END IF;
                RAISE EXCEPTION 'idempotency_key was used for another request, job %', existing.id
                    USING ERRCODE = 'TF009', COLUMN = 'idempotency_key';
            END IF;
            -- Its job was deleted between the insert and the read: insert again.
        END LOOP;
    END IF;

    -- A scheduled job is promoted by the scheduler when due, as the API's are.
    IF status = 'pending' THEN
        INSERT INTO job_enqueue_relay (job_id) VALUES (new_id);
        -- One notification per transaction however many jobs it enqueued: PostgreSQL
        -- folds identical ones.
        PERFORM pg_notify('taskforge_enqueue', '');
    END IF;
    RETURN new_id;
END
$$;
