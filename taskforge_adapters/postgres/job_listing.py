"""The SELECT behind GET /v1/jobs: keyset pagination, newest first, every filter indexed."""

from datetime import timedelta
from typing import Any

from taskforge_adapters.postgres.job_rows import COLUMNS
from taskforge_app.ports import JobQuery

_JOB_COLUMNS = ", ".join(f"j.{column}" for column in COLUMNS.split(", "))

# job_listing_keys holds each job's job_type, queue and created_at, indexed once per
# job (migration 007): a filter on either walks its own index, newest first, and reads
# the matching jobs by primary key. Joined on id alone: every further equality makes
# the planner underestimate the join and sort what it should walk in order.
_BY_TYPE_OR_QUEUE = f"SELECT {_JOB_COLUMNS} FROM job_listing_keys k JOIN jobs j ON j.id = k.id"


# A job is created before it is last updated, so updated_at < t bounds created_at too
# and the newest-first walk can start at t instead of passing every newer job. The
# allowance keeps a job whose timestamps came from hosts with skewed clocks.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=1)


def job_listing(query: JobQuery) -> tuple[str, list[Any]]:
    by_keys = query.job_type is not None or query.queue is not None or query.queues is not None
    # Columns the keys table holds are read from it, so its index serves order and range.
    keyed = "k." if by_keys else ""
    conditions: list[str] = []
    args: list[Any] = []

    def where(condition: str, *values: Any) -> None:
        placeholders = [f"${len(args) + i + 1}" for i in range(len(values))]
        conditions.append(condition.format(*placeholders))
        args.extend(values)

    if query.status is not None:
        where("status = {}", query.status.value)
    if query.job_type is not None:
        where("k.job_type = {}", query.job_type)
    if query.queue is not None:
        where("k.queue = {}", query.queue)
    if query.queues is not None:
        where("k.queue = ANY({})", sorted(query.queues))
    if query.idempotency_key is not None:
        where("idempotency_key = {}", query.idempotency_key)
    if query.created_after is not None:
        where(keyed + "created_at >= {}", query.created_after)
    if query.created_before is not None:
        where(keyed + "created_at < {}", query.created_before)
    if query.updated_after is not None:
        where("updated_at >= {}", query.updated_after)
    if query.updated_before is not None:
        where("updated_at < {}", query.updated_before)
        where(keyed + "created_at < {}", query.updated_before + CLOCK_SKEW_ALLOWANCE)
    if query.error_contains is not None:
        # With status = 'dead' this uses the trigram index on last_error.
        where("last_error ILIKE {}", f"%{_escape_like(query.error_contains)}%")
    if query.before is not None:
        where(f"({keyed}created_at, {keyed}id) < ({{}}, {{}})", *query.before)
    sql = _BY_TYPE_OR_QUEUE if by_keys else f"SELECT {COLUMNS} FROM jobs"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    sql += f" ORDER BY {keyed}created_at DESC, {keyed}id DESC LIMIT ${len(args) + 1}"
    return sql, [*args, query.limit]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
