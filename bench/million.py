"""`python -m bench million`: the p50 and p99 of each read page of the API with 1,000,000
jobs in the table (tests/realistic_jobs.py), sequential GETs on one keep-alive connection
to a real API process. Its section of BENCHMARKS.md is rewritten.

PAGES is the list of what is measured: one line adds a page."""

import argparse
import asyncio
import datetime
import os
import shlex
import statistics
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from bench import measures
from bench.bench_stack import BenchStack
from bench.http_load import get_latencies
from bench.machine import describe
from bench.million_seed import seed
from bench.report_file import write_section
from taskforge_entrypoints.presentation.job_cursor import encode_cursor

START, END = "<!-- bench-million:start -->", "<!-- bench-million:end -->"
TARGET_P99_MS = 100.0

# (what it is, path). {minute_ago}, {hour_ago}, {week_ago}, {week_ago_plus_hour}, {deep_cursor} (the
# cursor of the job half-way down the table) and {some_job} (its id) are filled in at
# run time.
PAGES: tuple[tuple[str, str], ...] = (
    ("newest jobs", "/v1/jobs?limit=50"),
    ("status=dead", "/v1/jobs?status=dead&limit=50"),
    ("status=queued (the backlog)", "/v1/jobs?status=queued&limit=50"),
    ("job_type", "/v1/jobs?job_type=email.send.v2&limit=50"),
    ("rare job_type (1 in 10,000)", "/v1/jobs?job_type=report.rare&limit=50"),
    ("queue=low (0.1 %)", "/v1/jobs?queue=low&limit=50"),
    ("queue and status", "/v1/jobs?queue=high&status=dead&limit=50"),
    ("idempotency_key", "/v1/jobs?idempotency_key=order-500003&limit=50"),
    (
        "created in an hour a week ago",
        "/v1/jobs?created_after={week_ago}&created_before={week_ago_plus_hour}",
    ),
    ("dead in the last minute", "/v1/jobs?status=dead&updated_after={minute_ago}&limit=50"),
    ("dead before a week ago", "/v1/jobs?status=dead&updated_before={week_ago}&limit=50"),
    ("updated in the last hour", "/v1/jobs?updated_after={hour_ago}&limit=50"),
    ("error text, dead", "/v1/jobs?status=dead&error=upstream%2042%20refused&limit=50"),
    ("error text, any status", "/v1/jobs?error=upstream%2042%20refused&limit=50"),
    ("rare error text, any status", "/v1/jobs?error=user778%40example&limit=50"),
    ("page half-way down (cursor)", "/v1/jobs?limit=50&cursor={deep_cursor}"),
    ("payload_equals, a customer (50 jobs)", "/v1/jobs?payload_equals=customer.id%3D4242"),
    ("payload_equals, a tenant (5 %)", "/v1/jobs?payload_equals=tenant%3Dtenant-7"),
    ("payload_equals, one order", "/v1/jobs?payload_equals=order.id%3Dord-654321"),
    ("payload_equals, none match", "/v1/jobs?payload_equals=customer.id%3Dnobody"),
    (
        "payload_contains, a sku (0.2 %)",
        "/v1/jobs?payload_contains=" + quote('{"order":{"lines":[{"sku":"sku-42"}]}}'),
    ),
    ("payload_contains, vip tag (10 %)", "/v1/jobs?payload_contains=" + quote('{"tags":["vip"]}')),
    (
        "payload_equals and status=dead",
        "/v1/jobs?status=dead&payload_equals=customer.id%3D4242",
    ),
    (
        "payload_equals and job_type",
        "/v1/jobs?job_type=invoice.render.v1&payload_equals=tenant%3Dtenant-9",
    ),
    (
        "payload_equals and job_type, none match",
        "/v1/jobs?job_type=invoice.render.v1&payload_equals=tenant%3Dtenant-3",
    ),
    ("estimate, status=dead", "/v1/jobs/estimate?status=dead"),
    ("estimate, a tenant's payloads", "/v1/jobs/estimate?payload_equals=tenant%3Dtenant-7"),
    ("GET /v1/queues", "/v1/queues"),
    ("GET /v1/workers", "/v1/workers"),
    ("GET /v1/limits", "/v1/limits"),
    ("GET /v1/schedules", "/v1/schedules"),
    ("GET /v1/audit", "/v1/audit"),
    ("GET /v1/jobs/{id}", "/v1/jobs/{some_job}"),
    ("GET /v1/jobs/{id}/attempts", "/v1/jobs/{some_job}/attempts"),
    # The dashboard's pages: the bench's API runs with API_AUTH=off, so no login.
    ("dashboard: Overview", "/ui"),
    ("dashboard: Jobs", "/ui/jobs"),
    ("dashboard: Jobs, status=dead", "/ui/jobs?status=dead"),
    ("dashboard: Jobs, job_type", "/ui/jobs?job_type=email.send.v2"),
    ("dashboard: Jobs, queue and status", "/ui/jobs?queue=high&status=dead"),
    ("dashboard: Jobs, idempotency_key", "/ui/jobs?idempotency_key=order-500003"),
    ("dashboard: Jobs, error text", "/ui/jobs?error=upstream%2042%20refused"),
    ("dashboard: Jobs, updated in the last hour", "/ui/jobs?updated_after={hour_ago}"),
    ("dashboard: Jobs, page half-way down", "/ui/jobs?cursor={deep_cursor}"),
    ("dashboard: Jobs, payload_equals", "/ui/jobs?payload_equals=customer.id%3D4242"),
    ("dashboard: Jobs, payload_equals, a tenant", "/ui/jobs?payload_equals=tenant%3Dtenant-7"),
    (
        "dashboard: Jobs, payload_contains",
        "/ui/jobs?payload_contains=" + quote('{"order":{"lines":[{"sku":"sku-42"}]}}'),
    ),
    ("dashboard: a job", "/ui/jobs/{some_job}"),
    ("dashboard: Dead letters", "/ui/dead-letters"),
    ("dashboard: Queues", "/ui/queues"),
    ("dashboard: Schedules", "/ui/schedules"),
    ("dashboard: Limits", "/ui/limits"),
    ("dashboard: Workers", "/ui/workers"),
    ("dashboard: Audit", "/ui/audit"),
)


async def _fill(stack: BenchStack, now: datetime.datetime) -> dict[str, str]:
    [middle] = await stack.fetch(
        "SELECT created_at, id FROM jobs ORDER BY created_at DESC, id DESC "
        "OFFSET (SELECT count(*) / 2 FROM jobs) LIMIT 1"
    )

    def ago(delta: datetime.timedelta) -> str:
        return quote((now - delta).isoformat())

    return {
        "minute_ago": ago(datetime.timedelta(minutes=1)),
        "hour_ago": ago(datetime.timedelta(hours=1)),
        "week_ago_plus_hour": ago(datetime.timedelta(days=7) - datetime.timedelta(hours=1)),
        "week_ago": ago(datetime.timedelta(days=7)),
        "deep_cursor": encode_cursor(middle["created_at"], middle["id"]),
        "some_job": str(middle["id"]),
    }


async def measure(env: measures.Environment, rows: int, requests: int) -> list[tuple[str, ...]]:
    """(page, path, p50 ms, p99 ms, jobs on the page) for each of PAGES, and the seeding."""
    now = datetime.datetime.now(datetime.UTC)
    async with env.stack() as stack:
        stack.start_api()  # migrates the database
        seconds = await seed(stack.database_url, rows, now)
        print(f"  seeded {rows:,} jobs in {seconds:.0f} s", flush=True)
        values = await _fill(stack, now)
        results: list[tuple[str, ...]] = [("seeding", "", f"{seconds:.0f} s", "", "")]
        for name, template in PAGES:
            path = template.format(**values)
            latencies = await get_latencies(stack.port, path, requests)
            cuts = statistics.quantiles(latencies, n=100, method="inclusive")
            p50, p99 = cuts[49] * 1000, cuts[98] * 1000
            results.append((name, template, f"{p50:.1f}", f"{p99:.1f}", ""))
            print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
        return results


def render(
    results: list[tuple[str, ...]],
    rows: int,
    machine: dict[str, str],
    command: str,
    load: tuple[float, float],
) -> str:
    over = [r[0] for r in results[1:] if float(r[3]) >= TARGET_P99_MS]
    verdict = (
        f"Every page's p99 is under {TARGET_P99_MS:.0f} ms."
        if not over
        else f"Over {TARGET_P99_MS:.0f} ms at p99: {'; '.join(over)}."
    )
    lines = [
        START,
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC with `{command}`: "
        f"{rows:,} jobs seeded in {results[0][2]}, then each page GET sequentially on one "
        "keep-alive connection to one API process. " + verdict,
        "",
        f"Machine: {machine['cores']} cores, {machine['cpu']}; Python {machine['python']}; "
        f"PostgreSQL {machine['postgresql']}. The bench, the API and PostgreSQL share these "
        f"cores; the 1-minute load average was {load[0]:.1f} at the start and {load[1]:.1f} "
        "at the end.",
        "",
        "| page | path | p50 ms | p99 ms |",
        "|---|---|---|---|",
        *(f"| {name} | `{path}` | {p50} | {p99} |" for name, path, p50, p99, _ in results[1:]),
        END,
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench million", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="jobs in the table")
    parser.add_argument("--requests", type=int, default=200, help="sequential GETs per page")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TASKFORGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="admin URL; the run creates and drops its own database",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TASKFORGE_BENCH_REDIS_ADDR", "127.0.0.1:6379")
    )
    parser.add_argument("--output", default="BENCHMARKS.md", help="'-' to write no file")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    # The table is the same on every run: nothing here draws at random.
    env = measures.Environment(args.postgres, args.redis, {}, seed=0)
    load_before = os.getloadavg()[0]
    results = asyncio.run(measure(env, args.rows, args.requests))
    # Other work on the machine inflates every figure; the section says how much there was.
    load = (load_before, os.getloadavg()[0])
    machine = asyncio.run(describe(args.postgres, args.redis))
    command = "make bench BENCH_ARGS=" + shlex.quote(shlex.join(["million", *argv]))
    section = render(results, args.rows, machine, command, load)
    print("\n" + section)
    if args.output != "-":
        write_section(Path(args.output), section, START, END)
        print(f"\nwritten to {args.output}")
    return 0
