"""The SELECT behind GET /v1/jobs: keyset pagination, newest first, every filter indexed."""

from typing import Any

from taskforge_adapters.postgres.job_rows import COLUMNS
from taskforge_app.ports import JobQuery


def job_listing(query: JobQuery) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    args: list[Any] = []

    def where(condition: str, *values: Any) -> None:
        placeholders = [f"${len(args) + i + 1}" for i in range(len(values))]
        conditions.append(condition.format(*placeholders))
        args.extend(values)

    if query.status is not None:
        where("status = {}", query.status.value)
    if query.job_type is not None:
        where("job_type = {}", query.job_type)
    if query.queue is not None:
        where("queue = {}", query.queue)
    if query.idempotency_key is not None:
        where("idempotency_key = {}", query.idempotency_key)
    if query.created_after is not None:
        where("created_at >= {}", query.created_after)
    if query.created_before is not None:
        where("created_at < {}", query.created_before)
    if query.updated_after is not None:
        where("updated_at >= {}", query.updated_after)
    if query.updated_before is not None:
        where("updated_at < {}", query.updated_before)
    if query.error_contains is not None:
        # With status = 'dead' this uses the trigram index on last_error.
        where("last_error ILIKE {}", f"%{_escape_like(query.error_contains)}%")
    if query.before is not None:
        where("(created_at, id) < ({}, {})", *query.before)
    sql = f"SELECT {COLUMNS} FROM jobs"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    sql += f" ORDER BY created_at DESC, id DESC LIMIT ${len(args) + 1}"
    return sql, [*args, query.limit]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
