"""A job_type_limits row as the domain's limit and token bucket."""

from typing import Any

from taskforge_domain.job_type_limit import JobTypeLimit, Rate, RatePeriod, TokenBucket

# An anti-join with an empty table, on the claim of every job: the unlimited drain's cost.
UNLIMITED_TYPES_ONLY = (
    "AND NOT EXISTS (SELECT FROM job_type_limits l WHERE l.job_type = jobs.job_type)"
)

LIMIT_COLUMNS = "job_type, concurrency, rate, rate_per, tokens, refilled_at, updated_at, updated_by"


def limit_from_row(row: Any) -> JobTypeLimit:
    rate = None if row["rate"] is None else Rate(row["rate"], RatePeriod(row["rate_per"]))
    return JobTypeLimit(row["job_type"], row["concurrency"], rate)


def bucket_from_row(row: Any) -> TokenBucket | None:
    if row["rate"] is None:
        return None
    return TokenBucket(float(row["tokens"]), row["refilled_at"])
