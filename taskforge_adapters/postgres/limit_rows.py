"""A job_type_limits or queue_limits row as the domain's limit and token bucket."""

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
