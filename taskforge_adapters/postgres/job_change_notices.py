"""The NOTIFY that tells listeners which jobs changed, sent from the writing statement.

One notification per statement (per chunk of CHUNK rows), never one per row: the drain
writes outcomes 200 rows at a time. Each changed job is "id:revision:status", joined
by commas; a chunk of 100 stays well below PostgreSQL's 8,000-byte payload limit
(an entry is at most 36 + 1 + 19 + 1 + 9 bytes)."""

CHANNEL = "taskforge_job_changes"
CHUNK = 100


def notify_changed(rows: str) -> str:
    """A CTE named `notified` sending the changes of the CTE `rows` (with columns id,
    revision and status). A statement must refer to it (NOTIFIED) for it to run."""
    return f"""notified AS (
    SELECT pg_notify('{CHANNEL}', string_agg(change, ','))
    FROM (SELECT id::text || ':' || revision || ':' || status AS change,
                 (row_number() OVER () - 1) / {CHUNK} AS chunk
          FROM {rows}) AS changes
    GROUP BY chunk)"""


OUTCOMES_CHANNEL = "taskforge_outcomes"


def notify_outcomes(rows: str) -> str:
    """A CTE named `outcomes_notified` sending, once per statement, how many rows of the
    CTE `rows` (with columns queue and status) ended in each (queue, status): one notice
    per outcome write, not per job. Each entry is "queue:status:count" (queue names have
    no colon or comma), at most 32 + 1 + 9 + 1 + 10 bytes, so chunks of CHUNK entries
    stay below the payload limit. A statement must refer to it (OUTCOMES_NOTIFIED)."""
    return f"""outcomes_notified AS (
    SELECT pg_notify('{OUTCOMES_CHANNEL}', string_agg(entry, ','))
    FROM (SELECT queue || ':' || status || ':' || count(*) AS entry,
                 (row_number() OVER () - 1) / {CHUNK} AS chunk
          FROM {rows} GROUP BY queue, status) AS counted
    GROUP BY chunk)"""


OUTCOMES_NOTIFIED = "(SELECT count(*) FROM outcomes_notified) >= 0"

# An InitPlan, run once when the first row is read: no rows, no notification.
NOTIFIED = "(SELECT count(*) FROM notified) >= 0"
