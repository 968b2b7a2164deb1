"""A jobs table shaped like a busy deployment's, for the listing queries: finished and
waiting jobs of 50 common types and one rare one (a job in 10,000), in queues normal,
high (2 %) and low (0.1 %), one created per second going back. The bench's (f) times
GET /v1/jobs on it; tests/integration/test_job_listing.py checks the plans.
"""

SYNTHETIC_JOBS = """
INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts, last_error,
                  idempotency_key, run_at, created_at, updated_at, queue)
SELECT gen_random_uuid(),
       CASE WHEN n % 10000 = 3 THEN 'type_rare' ELSE 'type_' || (n % 50) END, '{}'::jsonb,
       (ARRAY['completed', 'completed', 'completed', 'dead', 'queued', 'retrying'])[n % 6 + 1],
       1, 5,
       CASE WHEN n % 6 = 3 THEN 'RetryableError: upstream ' || (n % 97) || ' refused' END,
       'key-' || n, $2::timestamptz, $2::timestamptz - n * interval '1 second',
       $2::timestamptz - n * interval '1 second',
       CASE WHEN n % 50 = 0 THEN 'high' WHEN n % 1000 = 1 THEN 'low' ELSE 'normal' END
FROM generate_series(1, $1) AS n
"""
