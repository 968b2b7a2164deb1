"""A jobs table shaped like a deployment that keeps its history: $1 jobs, one a second
back from $2 (1,000,000 are eleven and a half days), of 40 job types and one rare type
(a job in 10,000), in queues normal, high (2 %) and low (0.1 %). The newest 20,000 are
the backlog: waiting (queued, pending, scheduled, retrying), running or finished; older
ones are finished: completed, dead (5 %) or cancelled (2 %). Errors on the failed; an
Idempotency-Key on 30 %; payloads with a customer (20,000 of them), a tenant (20), a
region, an order and its lines, and a `vip` tag on one in ten.

Generated inside PostgreSQL by one INSERT … SELECT: no row crosses the wire, which is
faster than COPY from the bench, which would have to build and send each row first.
`hashint4` spreads statuses and keys over the jobs, so none follows the job type's cycle.
`python -m bench million` times the API's pages on it; tests/integration/
test_job_searches.py checks the searches' plans on a smaller one.
"""

REALISTIC_JOBS = """
INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts, last_error,
                  idempotency_key, run_at, started_at, lease_expires_at, dead_lettered_at,
                  worker, created_at, updated_at, queue)
SELECT gen_random_uuid(), job_type, payload, status,
       CASE status WHEN 'dead' THEN 5 WHEN 'retrying' THEN 2
                   WHEN 'completed' THEN 1 WHEN 'running' THEN 1 ELSE 0 END,
       5,
       CASE WHEN status IN ('dead', 'retrying') THEN
           (ARRAY['RetryableError: upstream ' || (n % 97) || ' refused the connection',
                  'TimeoutError: attempt timed out after 300s',
                  'TerminalError: no such address: user' || (n % 1000) || '@example.com',
                  'KeyError: ''customer'''])[n % 4 + 1]
            WHEN status = 'cancelled' THEN 'cancelled before it ran' END,
       CASE WHEN abs(hashint4(n + 1)) % 10 < 3 THEN 'order-' || n END,
       CASE WHEN status = 'scheduled' THEN $2::timestamptz + interval '1 hour'
            ELSE created_at END,
       CASE WHEN status IN ('completed', 'dead', 'running') THEN created_at END,
       CASE WHEN status = 'running' THEN $2::timestamptz + interval '5 minutes' END,
       CASE WHEN status = 'dead' THEN created_at + interval '2 seconds' END,
       CASE WHEN status = 'running' THEN 'bench-worker-1' END,
       created_at,
       CASE WHEN status IN ('completed', 'dead', 'retrying', 'cancelled')
            THEN created_at + interval '2 seconds' ELSE created_at END,
       CASE WHEN n % 50 = 0 THEN 'high' WHEN n % 1000 = 1 THEN 'low' ELSE 'normal' END
FROM (
    SELECT n,
           $2::timestamptz - n * interval '1 second' - interval '5 seconds' AS created_at,
           CASE WHEN n % 10000 = 3 THEN 'report.rare'
                ELSE (ARRAY['email.send', 'invoice.render', 'image.resize', 'webhook.push',
                            'report.build', 'crm.sync', 'search.index', 'ping'])[n % 8 + 1]
                     || '.v' || (n / 8 % 5) END AS job_type,
           CASE WHEN n > 20000 THEN
                    CASE WHEN h < 93 THEN 'completed' WHEN h < 98 THEN 'dead' ELSE 'cancelled' END
                WHEN h < 40 THEN 'queued' WHEN h < 42 THEN 'pending' WHEN h < 47 THEN 'running'
                WHEN h < 57 THEN 'retrying' WHEN h < 62 THEN 'scheduled'
                WHEN h < 92 THEN 'completed' WHEN h < 97 THEN 'dead' ELSE 'cancelled' END
               AS status,
           jsonb_build_object(
               'customer', jsonb_build_object(
                   'id', n % 20000, 'tier', (ARRAY['free', 'pro', 'enterprise'])[n % 3 + 1]),
               'tenant', 'tenant-' || (n % 20),
               'region', (ARRAY['eu-west', 'us-east', 'ap-south'])[n % 3 + 1],
               'order', jsonb_build_object(
                   'id', 'ord-' || n,
                   'total', round((n % 10000) / 100.0, 2),
                   'lines', jsonb_build_array(
                       jsonb_build_object('sku', 'sku-' || (n % 500), 'qty', n % 5 + 1))),
               'tags', CASE WHEN n % 10 = 0 THEN '["vip"]'::jsonb ELSE '[]'::jsonb END
           ) AS payload
    FROM (SELECT n, abs(hashint4(n)) % 100 AS h FROM generate_series(1, $1) AS n) numbered
) jobs_to_be
"""
