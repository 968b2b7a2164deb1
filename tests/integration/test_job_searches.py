"""GET /v1/jobs's searches (payload, error text) on a table large enough for the planner
to choose: each is answered by its two statements (the newest jobs in order, then the
search's own index), both bounded, neither a sequential scan, both finding exactly the
matching jobs, newest first."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from taskforge_adapters.postgres.job_listing import (
    RECENT_WINDOW,
    estimate_statement,
    search_listings,
)
from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_app.ports import JobQuery, PayloadEquals
from taskforge_domain.job_status import JobStatus
from tests.conftest import MIGRATIONS_URL, Services
from tests.realistic_jobs import REALISTIC_JOBS

# Large enough that walking every job of a type costs the planner more than its index.
ROWS = 100_000
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def many_jobs(test_services: Services) -> AsyncIterator[Any]:
    url = await test_services.create_database()
    await migrate_up(url, MIGRATIONS_URL)
    conn = await asyncpg.connect(url)
    await conn.execute(REALISTIC_JOBS, ROWS, NOW)
    await conn.execute("VACUUM ANALYZE jobs, job_listing_keys")
    yield conn
    await conn.close()


def equals(path: str, text: str) -> PayloadEquals:
    return PayloadEquals(tuple(path.split(".")), text)


# (query, the same condition in plain SQL on jobs, the search's index). With another
# filter as selective as the search, the planner may take that filter's index instead.
SEARCHES: dict[str, tuple[JobQuery, str, str | None]] = {
    "a customer": (
        JobQuery(limit=50, payload_equals=equals("customer.id", "4242")),
        "payload #>> '{customer,id}' = '4242'",
        "jobs_payload_idx",
    ),
    "a common tenant": (
        JobQuery(limit=50, payload_equals=equals("tenant", "tenant-7")),
        "payload ->> 'tenant' = 'tenant-7'",
        "jobs_payload_idx",
    ),
    "no such value": (
        JobQuery(limit=50, payload_equals=equals("customer.id", "nobody")),
        "false",
        "jobs_payload_idx",
    ),
    "a sku in the order lines": (
        JobQuery(limit=50, payload_contains={"order": {"lines": [{"sku": "sku-42"}]}}),
        "payload #>> '{order,lines,0,sku}' = 'sku-42'",
        "jobs_payload_idx",
    ),
    "a tenant's dead jobs": (
        JobQuery(limit=50, status=JobStatus.DEAD, payload_equals=equals("tenant", "tenant-3")),
        "status = 'dead' AND payload ->> 'tenant' = 'tenant-3'",
        None,
    ),
    # A common type's window is read by primary key, which the planner would rather
    # read whole at this size; the bench times a common one with 1,000,000 jobs.
    "a rare type's jobs of a tenant": (
        JobQuery(limit=50, job_type="report.rare", payload_contains={"tenant": "tenant-3"}),
        "job_type = 'report.rare' AND payload ->> 'tenant' = 'tenant-3'",
        None,
    ),
    "error text of any status": (
        JobQuery(limit=50, error_contains="upstream 42 refused"),
        "last_error ILIKE '%upstream 42 refused%'",
        "jobs_error_trgm_idx",
    ),
    "rare error text, any case": (
        JobQuery(limit=50, error_contains="USER778@example"),
        "last_error ILIKE '%user778@example%'",
        "jobs_error_trgm_idx",
    ),
}


def rows_read(node: dict[str, Any]) -> int:
    """Rows a plan node and those under it produced or discarded."""
    own = int(node.get("Actual Rows", 0)) + int(node.get("Rows Removed by Filter", 0))
    own *= int(node.get("Actual Loops", 1))
    return own + sum(rows_read(child) for child in node.get("Plans", []))


async def plan(conn: Any, sql: str, args: list[Any]) -> tuple[dict[str, Any], str]:
    [analyzed] = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args))
    text = "\n".join(row[0] for row in await conn.fetch(f"EXPLAIN {sql}", *args))
    return analyzed["Plan"], text


@pytest.mark.parametrize("name", sorted(SEARCHES))
async def test_the_newest_jobs_are_walked_in_order_and_no_further(
    many_jobs: Any, name: str
) -> None:
    (sql, args), _ = search_listings(SEARCHES[name][0])

    tree, text = await plan(many_jobs, sql, args)

    assert "Seq Scan" not in text, text
    # The window, the page and the index entries on the way: a few times the window.
    assert rows_read(tree) <= 6 * RECENT_WINDOW, text


@pytest.mark.parametrize("name", sorted(SEARCHES))
async def test_the_search_index_answers_when_the_newest_jobs_hold_no_page(
    many_jobs: Any, name: str
) -> None:
    query, _, index = SEARCHES[name]
    _, (sql, args) = search_listings(query)

    _, text = await plan(many_jobs, sql, args)

    assert "Seq Scan" not in text, text
    assert index is None or f"Bitmap Index Scan on {index}" in text, text


@pytest.mark.parametrize("name", sorted(SEARCHES))
async def test_both_statements_find_the_newest_matching_jobs(many_jobs: Any, name: str) -> None:
    query, truth, _ = SEARCHES[name]
    (recent, recent_args), (indexed, indexed_args) = search_listings(query)
    wanted = [
        row["id"]
        for row in await many_jobs.fetch(
            f"SELECT id FROM jobs WHERE {truth} ORDER BY created_at DESC, id DESC LIMIT 50"
        )
    ]

    by_index = [row["id"] for row in await many_jobs.fetch(indexed, *indexed_args)]
    in_window = [row["id"] for row in await many_jobs.fetch(recent, *recent_args)]

    assert by_index == wanted
    # The window's answer is a prefix of the truth; a full page of it is the whole page.
    assert in_window == wanted[: len(in_window)]
    assert name == "no such value" or wanted


@pytest.mark.parametrize("name", sorted(SEARCHES))
async def test_the_estimate_of_a_search_is_near_its_count(many_jobs: Any, name: str) -> None:
    query, truth, _ = SEARCHES[name]
    sql, args = estimate_statement(query)
    count = await many_jobs.fetchval(f"SELECT count(*) FROM jobs WHERE {truth}")

    [plan] = json.loads(await many_jobs.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))
    estimate = plan["Plan"]["Plan Rows"]

    # The planner's guess: within a factor of ten, or a hundred jobs of a rare search.
    assert count / 10 - 100 <= estimate <= count * 10 + 100, (estimate, count)
