"""`taskforge dlq list|replay|follow`: dead jobs in PostgreSQL, dead letters on Redis."""

import argparse
import asyncio
import signal
import sys

from dishka import AsyncContainer

from taskforge_app.follow_dead_letters import FollowDeadLetters
from taskforge_app.list_jobs import ListJobs
from taskforge_app.ports import DeadLetter, JobQuery
from taskforge_app.replay_dead_jobs import ReplayDeadJobs
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.operator_cli.exit_codes import ExitCode, Refused
from taskforge_entrypoints.operator_cli.json_output import (
    DeadJobsJson,
    DeadLetterJson,
    print_json,
)
from taskforge_entrypoints.operator_cli.operator import operator
from taskforge_entrypoints.operator_cli.progress import ProgressBar
from taskforge_entrypoints.operator_cli.tables import dead_jobs_table, dead_letter_line
from taskforge_entrypoints.presentation.job_json import JobOut
from taskforge_entrypoints.presentation.replay_json import ReplayOut


def _dead_jobs(args: argparse.Namespace) -> JobQuery:
    return JobQuery(
        limit=args.limit,
        status=JobStatus.DEAD,
        job_type=args.job_type,
        error_contains=args.error,
        updated_after=args.dead_after,
        updated_before=args.dead_before,
    )


async def list_dead(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    base_url = (await container.get(Settings)).http_base_url
    jobs = await (await container.get(ListJobs))(_dead_jobs(args))
    if args.json:
        print_json(DeadJobsJson(jobs=[JobOut.of(job, base_url) for job in jobs]))
        return ExitCode.OK
    print(dead_jobs_table(jobs) if jobs else "no dead jobs match")
    if len(jobs) == args.limit:
        print(f"showing the first {args.limit}; raise --limit to see more")
    return ExitCode.OK


async def replay_dead(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    if not (args.yes or args.dry_run):
        raise Refused(
            "refusing to replay without --yes; see what would be replayed with --dry-run, "
            "then run again with --yes"
        )
    replay = await container.get(ReplayDeadJobs)
    bar = ProgressBar(sys.stderr, "replaying")
    try:
        result = await replay(
            _dead_jobs(args),
            dry_run=args.dry_run,
            limit=args.limit,
            rate=args.rate,
            attempts=args.attempts,
            progress=bar,
            caller=operator(),
        )
    except asyncio.CancelledError:
        bar.finish()
        print(f"interrupted after {bar.done} of {bar.total} dead jobs", file=sys.stderr)
        raise
    finally:
        bar.finish()
    if args.json:
        print_json(ReplayOut.of(result, dry_run=args.dry_run))
    elif args.dry_run:
        for job_id in result.job_ids:
            print(job_id)
        print(f"dry run: {result.matched} dead job(s) match; nothing was replayed")
    else:
        skipped = result.matched - result.replayed
        print(
            f"replayed {result.replayed} of {result.matched} matching dead job(s)"
            + (f"; {skipped} skipped, no longer dead" if skipped else "")
        )
    return ExitCode.OK


async def follow_dead(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    follow = await container.get(FollowDeadLetters)
    settings = await container.get(Settings)
    stopping = asyncio.Event()
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        # The first signal lets the read in progress end (within --block-timeout) so
        # every letter read is also shown and acknowledged; a second one stops at once.
        if stopping.is_set() and task is not None:
            task.cancel()
        stopping.set()

    def show(message_id: str, letter: DeadLetter) -> None:
        if args.json:
            print_json(DeadLetterJson.of(message_id, letter))
        else:
            print(dead_letter_line(letter), flush=True)

    if not args.json:
        print(
            f"following {settings.redis_stream_dlq} as {args.consumer} in group "
            f"{settings.redis_dlq_consumer_group}; Ctrl-C stops",
            file=sys.stderr,
        )
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, on_signal)
    try:
        await follow(
            args.consumer,
            show,
            block_ms=max(1, int(args.block_timeout.total_seconds() * 1000)),
            limit=args.count,
            stopping=stopping.is_set,
        )
    except asyncio.CancelledError:
        if not stopping.is_set() or task is None:
            raise
        task.uncancel()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
    return ExitCode.OK
