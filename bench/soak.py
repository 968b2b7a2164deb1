"""`python -m bench soak`: the highest submit rate the API takes, with workers draining, for
minutes; then what must hold under that load: no deadlock, no 5xx, every job completed,
every job started within two seconds of its submit."""

import argparse
import asyncio
import datetime
import os
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.bench_stack import BenchStack
from bench.http_load import post_all, post_for
from bench.machine import describe
from bench.report_file import write_section

START, END = "<!-- soak:start -->", "<!-- soak:end -->"
SLOWEST_START_LIMIT = 2.0
WARM_UP = 100

_BODIES = [b'{"job_type":"ping","payload":{"message":"soak %d"}}' % n for n in range(1000)]

_DEADLOCKS = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
_OTHER_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
# Every ping job completes at its first attempt unless something went wrong; one that
# needed another attempt counts with its last start, so the figure can only be higher.
_STARTS = """
SELECT count(*) AS stored,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE attempt > 1) AS reattempted,
       coalesce(max(extract(epoch FROM started_at - created_at))
                FILTER (WHERE created_at > $1), 0) AS slowest_start
FROM jobs
"""


@dataclass(frozen=True)
class SoakResult:
    seconds: float
    clients: int
    workers: int
    statuses: dict[int, int]
    deadlocks: int
    logged_deadlocks: int | None
    stored: int
    completed: int
    reattempted: int
    slowest_start: float
    problems: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.statuses.get(202, 0)

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def unanswered(self) -> int:
        return self.statuses.get(0, 0)


class PostgresLog:
    """Counts the deadlocks the server logged for one database after a starting point."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = path.stat().st_size

    def deadlocks(self, database: str) -> int:
        with self._path.open("rb") as log:
            log.seek(self._offset)
            text = log.read().decode(errors="replace")
        ours = f"@{database} "
        return sum(1 for line in text.splitlines() if "deadlock detected" in line and ours in line)


async def _fetchval(database_url: str, query: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


async def _sessions_closed(database_url: str, within: float = 30) -> None:
    """A backend adds its deadlock count to pg_stat_database at the latest when it exits."""
    deadline = time.monotonic() + within
    while await _fetchval(database_url, _OTHER_SESSIONS):
        if time.monotonic() > deadline:
            raise RuntimeError(f"sessions still open on the soak database after {within:g}s")
        await asyncio.sleep(0.1)


async def _drained(stack: BenchStack, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rows = await stack.fetch(
            "SELECT count(*) FILTER (WHERE status NOT IN ('completed', 'dead', 'cancelled'))"
            " AS open FROM jobs"
        )
        if rows[0]["open"] == 0:
            return
        await asyncio.sleep(0.2)


async def soak(
    stack: BenchStack,
    seconds: float,
    *,
    clients: int = 128,
    workers: int = 1,
    postgres_log: Path | None = None,
    drain_within: float = 120,
) -> SoakResult:
    """Submit one job per request as fast as `clients` connections can, for `seconds`,
    while `workers` worker processes and a scheduler drain; then count what went wrong."""
    log = PostgresLog(postgres_log) if postgres_log else None
    deadlocks_before = await _fetchval(stack.database_url, _DEADLOCKS)
    processes = [stack.start_api()]
    processes += [stack.start("worker") for _ in range(workers)]
    processes.append(stack.start("scheduler"))
    # Started processes first finish a warm-up, so the start-up is not counted as latency.
    await post_all("127.0.0.1", stack.port, "/v1/jobs", _BODIES[:WARM_UP], 4)
    await stack.wait_finished(WARM_UP, within=60)
    warmed_at = (await stack.fetch("SELECT max(updated_at) AS at FROM jobs"))[0]["at"]

    load = await post_for(
        "127.0.0.1",
        stack.port,
        "/v1/jobs",
        lambda n: _BODIES[n % len(_BODIES)],
        clients,
        seconds,
    )
    await _drained(stack, drain_within)
    row = (await stack.fetch(_STARTS, warmed_at))[0]
    for process in processes:
        process.stop(timeout=60)
    await _sessions_closed(stack.database_url)
    deadlocks = await _fetchval(stack.database_url, _DEADLOCKS) - deadlocks_before
    database = stack.database_url.rsplit("/", 1)[-1]
    result = SoakResult(
        seconds=load.elapsed,
        clients=clients,
        workers=workers,
        statuses=dict(sorted(load.statuses.items())),
        deadlocks=deadlocks,
        logged_deadlocks=log.deadlocks(database) if log else None,
        stored=int(row["stored"]),
        completed=int(row["completed"]),
        reattempted=int(row["reattempted"]),
        slowest_start=float(row["slowest_start"]),
    )
    result.problems.extend(_problems(result))
    return result


def _problems(result: SoakResult) -> list[str]:
    problems = []
    if result.deadlocks or result.logged_deadlocks:
        problems.append(
            f"{result.deadlocks} deadlocks counted, {result.logged_deadlocks} in the server log"
        )
    if result.server_errors or result.unanswered:
        problems.append(f"{result.server_errors} 5xx answers, {result.unanswered} unanswered")
    if result.completed != result.stored or result.stored != result.accepted + WARM_UP:
        problems.append(
            f"{result.completed} of {result.stored} stored jobs completed, "
            f"{result.accepted} accepted during the soak (+{WARM_UP} warm-up)"
        )
    if result.slowest_start >= SLOWEST_START_LIMIT:
        problems.append(f"slowest submit → start {result.slowest_start:.2f} s")
    return problems


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench soak",
        description="Submit at the highest rate for minutes while workers drain; fail unless "
        "no deadlock, no 5xx, every job completed and the slowest start under 2 s.",
    )
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--clients", type=int, default=128, help="HTTP connections")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--postgres-log",
        type=Path,
        default=None,
        help="the server's log file (Debian: /var/log/postgresql/postgresql-15-main.log), "
        "to count its 'deadlock detected' lines as well",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TASKFORGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TASKFORGE_BENCH_REDIS_ADDR", "127.0.0.1:6379")
    )
    parser.add_argument("--output", default="BENCHMARKS.md", help="'-' to write no file")
    return parser


def render(result: SoakResult, machine: dict[str, str], command: str) -> str:
    logged = "not read" if result.logged_deadlocks is None else str(result.logged_deadlocks)
    rows = [
        (
            f"submit rate, {result.clients} HTTP clients, one job per request, "
            f"{result.workers} worker process(es) draining",
            f"{result.rate:,.0f} jobs/s for {result.seconds / 60:.1f} min "
            f"({result.accepted:,} jobs)",
            "as high as the API goes",
        ),
        ("deadlocks, pg_stat_database of the run's database", str(result.deadlocks), "0"),
        ("deadlocks, 'deadlock detected' in the server log", logged, "0"),
        (
            "5xx answers / requests with no answer",
            f"{result.server_errors} / {result.unanswered}",
            "0",
        ),
        (
            "jobs completed / stored",
            f"{result.completed:,} / {result.stored:,} ({result.reattempted} re-attempted)",
            "all",
        ),
        ("slowest submit → start", f"{result.slowest_start * 1000:,.0f} ms", "< 2,000 ms"),
    ]
    return "\n".join(
        [
            START,
            f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
            "",
            f"Machine: {machine['cores']} cores, {machine['cpu']}; PostgreSQL "
            f"{machine['postgresql']}; Redis {machine['redis']}; the load generator shares them.",
            "",
            "| figure | result | must be |",
            "|---|---|---|",
            *(f"| {name} | {value} | {must} |" for name, value, must in rows),
            END,
        ]
    )


async def _run(args: argparse.Namespace) -> SoakResult:
    settings = {"SERVICE_MAX_ATTEMPTS": "3"}
    async with BenchStack(args.postgres, args.redis, settings) as stack:
        return await soak(
            stack,
            args.minutes * 60,
            clients=args.clients,
            workers=args.workers,
            postgres_log=args.postgres_log,
        )


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    command = f'make bench BENCH_ARGS="{shlex.join(["soak", *argv])}"'
    result = asyncio.run(_run(args))
    machine = asyncio.run(describe(args.postgres, args.redis))
    section = render(result, machine, command)
    print(section)
    if args.output != "-":
        write_section(Path(args.output), section, START, END)
        print(f"\nwritten to {args.output}")
    for problem in result.problems:
        print(f"FAILED: {problem}")
    return 1 if result.problems else 0
