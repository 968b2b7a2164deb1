"""A job_type_limits or queue_limits row as the domain's limit and token bucket, and the
statements that keep either table: the two differ only in their name and their key."""

from dataclasses import dataclass
from typing import Any

from taskforge_domain.job_type_limit import JobTypeLimit, Rate, RatePeriod, TokenBucket
from taskforge_domain.queue_limit import QueueLimit

# On the claim of every job, so what the unlimited drain pays: a hash anti-join with the
# type limits, and, for the queues, one look at an empty table per statement. Written as
# a second anti-join, the planner probed queue_limits' index once per job.
UNLIMITED_ONLY = (
    "AND NOT EXISTS (SELECT FROM job_type_limits l WHERE l.job_type = jobs.job_type) "
    "AND (NOT EXISTS (SELECT FROM queue_limits) "
    "OR NOT EXISTS (SELECT FROM queue_limits q WHERE q.queue = jobs.queue))"
)

_SHARED = "concurrency, rate, rate_per, tokens, refilled_at, updated_at, updated_by"
LIMIT_COLUMNS = f"job_type, {_SHARED}"
QUEUE_LIMIT_COLUMNS = f"queue, {_SHARED}"


def _rate(row: Any) -> Rate | None:
    return None if row["rate"] is None else Rate(row["rate"], RatePeriod(row["rate_per"]))


def limit_from_row(row: Any) -> JobTypeLimit:
    return JobTypeLimit(row["job_type"], row["concurrency"], _rate(row))


def queue_limit_from_row(row: Any) -> QueueLimit:
    return QueueLimit(row["queue"], row["concurrency"], _rate(row))


def bucket_from_row(row: Any) -> TokenBucket | None:
    if row["rate"] is None:
        return None
    return TokenBucket(float(row["tokens"]), row["refilled_at"])


@dataclass(frozen=True, slots=True)
class LimitStatements:
    all: str
    put: str
    """$1 key, $2 concurrency, $3 rate, $4 rate_per, $5 now, $6 actor."""
    remove: str


def limit_statements(table: str, key: str) -> LimitStatements:
    columns = f"{key}, {_SHARED}"
    running = f"(SELECT count(*) FROM jobs WHERE status = 'running' AND {key} = l.{key})"
    # A rate set again as it was keeps its bucket: setting the same limit twice must not
    # hand out a second period's starts at once.
    put = f"""
INSERT INTO {table} AS l
    ({key}, concurrency, rate, rate_per, tokens, refilled_at, updated_at, updated_by)
VALUES ($1, $2, $3::integer, $4, $3::integer, $5, $5, $6)
ON CONFLICT ({key}) DO UPDATE SET
    concurrency = EXCLUDED.concurrency, rate = EXCLUDED.rate, rate_per = EXCLUDED.rate_per,
    tokens = CASE WHEN (l.rate, l.rate_per) IS NOT DISTINCT FROM (EXCLUDED.rate, EXCLUDED.rate_per)
                  THEN l.tokens ELSE EXCLUDED.tokens END,
    refilled_at = CASE WHEN (l.rate, l.rate_per)
                            IS NOT DISTINCT FROM (EXCLUDED.rate, EXCLUDED.rate_per)
                       THEN l.refilled_at ELSE EXCLUDED.refilled_at END,
    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
RETURNING {columns}, {running} AS running
"""
    return LimitStatements(
        all=f"SELECT {columns}, {running} AS running FROM {table} l ORDER BY {key}",
        put=put,
        remove=f"DELETE FROM {table} l WHERE {key} = $1 RETURNING {columns}, 0 AS running",
    )


def put_arguments(key: str, concurrency: int | None, rate: Rate | None) -> tuple[Any, ...]:
    """The put statement's $1 to $4."""
    return (
        key,
        concurrency,
        None if rate is None else rate.starts,
        None if rate is None else rate.per.value,
    )


def bookkeeping(row: Any) -> dict[str, Any]:
    """What a stored limit carries beside the limit itself."""
    tokens = row["tokens"]
    return {
        "updated_at": row["updated_at"],
        "updated_by": row["updated_by"],
        "running": row["running"],
        "tokens": None if tokens is None else float(tokens),
    }
