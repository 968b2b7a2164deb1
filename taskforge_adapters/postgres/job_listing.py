"""The SELECT behind GET /v1/jobs: keyset pagination, newest first, every filter indexed."""

import dataclasses
from datetime import timedelta
from typing import Any

import msgspec

from taskforge_adapters.postgres.job_rows import COLUMNS
from taskforge_app.ports import JobQuery

# created_at and id are read from the keys, which the walk is ordered by: so a statement
# over this one (search_listings) sees its rows in order, and stops at its page.
_KEYED = {"created_at": "k.created_at AS created_at", "id": "k.id AS id"}
_JOB_COLUMNS = ", ".join(_KEYED.get(column, f"j.{column}") for column in COLUMNS.split(", "))

# job_listing_keys holds each job's job_type, queue and created_at, indexed once per
# job (migration 007): a filter on either walks its own index, newest first, and reads
# the matching jobs by primary key. Joined on id alone: every further equality makes
# the planner underestimate the join and sort what it should walk in order.
_BY_TYPE_OR_QUEUE = f"SELECT {_JOB_COLUMNS} FROM job_listing_keys k JOIN jobs j ON j.id = k.id"


# A job is created before it is last updated, so updated_at < t bounds created_at too
# and the newest-first walk can start at t instead of passing every newer job. The
# allowance keeps a job whose timestamps came from hosts with skewed clocks.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=1)


# A search (of the payload, or of text in last_error) is answered in one of two ways,
# tried in turn. Its GIN index finds every match but in no order, so a value held by a
# third of the jobs would be sorted by the hundred thousand; walking the newest jobs in
# order finds a common value's page at once but would pass every job looking for a rare
# one. So the newest RECENT_WINDOW jobs (of the other filters) are searched first, and
# the index only when they hold less than a page: when matches are rarer than a page in
# RECENT_WINDOW. Measured at 1,000,000 jobs (BENCHMARKS.md): with a window of 5,000 the
# planner sorted every dead job to take the newest 5,000 rather than walk them in order.
RECENT_WINDOW = 3_000
# The newest jobs are side by side in the table; the newest of a status, type or queue
# are scattered, a page read for each: 3,000 dead jobs took 80 ms to read where the
# index, which holds those filters too, answered in 1 ms. So their window is smaller.
FILTERED_WINDOW = 500

Statement = tuple[str, list[Any]]


def is_search(query: JobQuery) -> bool:
    return query.searches_payload or query.error_contains is not None


def search_listings(query: JobQuery) -> tuple[Statement, Statement]:
    """The statement over the newest jobs, then the one over the search's index."""
    others = dataclasses.replace(
        query, payload_contains=None, payload_equals=None, error_contains=None
    )
    inner, args = job_listing(dataclasses.replace(others, limit=_window(query)))
    condition, search_args = _search_condition(query, len(args))
    recent = (
        f"SELECT * FROM ({inner}) recent WHERE {condition} "
        f"ORDER BY created_at DESC, id DESC LIMIT ${len(args) + len(search_args) + 1}"
    )
    return (recent, [*args, *search_args, query.limit]), _by_search_index(query)


def _window(query: JobQuery) -> int:
    scattered = (query.status, query.job_type, query.queue, query.queues)
    return RECENT_WINDOW if all(value is None for value in scattered) else FILTERED_WINDOW


def _by_search_index(query: JobQuery) -> Statement:
    # Materialized, and with no LIMIT of its own, the matches are planned alone: the
    # planner cannot guess the match rare and trade the index for an ordered walk.
    conditions, args = _on_jobs(query)
    sql = (
        f"WITH matches AS MATERIALIZED (SELECT {COLUMNS} FROM jobs "
        f"WHERE {' AND '.join(conditions)}) "
        f"SELECT * FROM matches ORDER BY created_at DESC, id DESC LIMIT ${len(args) + 1}"
    )
    return sql, [*args, query.limit]


def estimate_statement(query: JobQuery) -> Statement:
    """A statement whose planned row count estimates how many jobs match the query: its
    filters on jobs alone, with no order, page or cursor, for EXPLAIN to plan."""
    conditions, args = _on_jobs(dataclasses.replace(query, before=None))
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    return f"SELECT 1 FROM jobs{where}", args


def _on_jobs(query: JobQuery) -> tuple[list[str], list[Any]]:
    """Every filter and search of the query, as conditions on the jobs' own columns."""
    plain = dataclasses.replace(
        query,
        job_type=None,
        queue=None,
        queues=None,
        error_contains=None,
        payload_contains=None,
        payload_equals=None,
    )
    conditions, args = _conditions(plain, keyed="")
    if is_search(query):
        condition, search_args = _search_condition(query, len(args))
        conditions.append(condition)
        args.extend(search_args)
    for column, value in (("job_type", query.job_type), ("queue", query.queue)):
        if value is not None:
            args.append(value)
            conditions.append(f"{column} = ${len(args)}")
    if query.queues is not None:
        args.append(sorted(query.queues))
        conditions.append(f"queue = ANY(${len(args)})")
    return conditions, args


def _search_condition(query: JobQuery, placed: int) -> Statement:
    conditions: list[str] = []
    args: list[Any] = []
    if query.error_contains is not None:
        args.append(f"%{_escape_like(query.error_contains)}%")
        conditions.append(f"last_error ILIKE ${placed + len(args)}")
    if query.payload_contains is not None:
        # As text, as the fragments below are: no codec decides how it is sent.
        args.append(msgspec.json.encode(query.payload_contains).decode())
        conditions.append(f"payload @> ${placed + len(args)}::text::jsonb")
    if query.payload_equals is not None:
        alternatives = []
        for fragment in query.payload_equals.fragments():
            args.append(fragment)
            alternatives.append(f"payload @> ${placed + len(args)}::text::jsonb")
        conditions.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(conditions), args


def job_listing(query: JobQuery) -> Statement:
    """The listing by every filter but the searches (see search_listings)."""
    if is_search(query):
        raise ValueError("a search is listed by search_listings")
    by_keys = query.job_type is not None or query.queue is not None or query.queues is not None
    # Columns the keys table holds are read from it, so its index serves order and range.
    keyed = "k." if by_keys else ""
    conditions, args = _conditions(query, keyed)
    sql = _BY_TYPE_OR_QUEUE if by_keys else f"SELECT {COLUMNS} FROM jobs"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    sql += f" ORDER BY {keyed}created_at DESC, {keyed}id DESC LIMIT ${len(args) + 1}"
    return sql, [*args, query.limit]


def _conditions(query: JobQuery, keyed: str) -> tuple[list[str], list[Any]]:
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
    if query.before is not None:
        where(f"({keyed}created_at, {keyed}id) < ({{}}, {{}})", *query.before)
    return conditions, args


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
