"""`taskforge jobs list|show|cancel|replay`."""

import argparse

from dishka import AsyncContainer

from taskforge_app.cancel_job import CancelJob
from taskforge_app.get_job import GetJob
from taskforge_app.list_jobs import GetAttempts, ListJobs
from taskforge_app.ports import JobQuery
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_domain.errors import InvalidTransition
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.operator_cli.exit_codes import Conflict, ExitCode
from taskforge_entrypoints.operator_cli.json_output import (
    JobDetailJson,
    JobPageJson,
    print_json,
)
from taskforge_entrypoints.operator_cli.operator import operator
from taskforge_entrypoints.operator_cli.tables import job_details, job_with_attempts, jobs_table
from taskforge_entrypoints.presentation.job_cursor import encode_cursor
from taskforge_entrypoints.presentation.job_json import AttemptOut, JobOut


async def list_jobs(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    base_url = (await container.get(Settings)).http_base_url
    query = JobQuery(
        limit=args.limit,
        status=JobStatus(args.status) if args.status else None,
        job_type=args.job_type,
        queue=args.queue,
        idempotency_key=args.key,
        created_after=args.created_after,
        created_before=args.created_before,
        error_contains=args.error,
        payload_equals=args.payload_equals,
        payload_contains=args.payload_contains,
        before=args.cursor,
    )
    jobs = await (await container.get(ListJobs))(query)
    last = jobs[-1] if len(jobs) == args.limit else None
    next_cursor = encode_cursor(last.created_at, last.id) if last else None
    if args.json:
        print_json(
            JobPageJson(jobs=[JobOut.of(job, base_url) for job in jobs], next_cursor=next_cursor)
        )
        return ExitCode.OK
    print(jobs_table(jobs) if jobs else "no jobs match")
    if next_cursor:
        print(f"next page: --cursor {next_cursor}")
    return ExitCode.OK


async def show_job(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    base_url = (await container.get(Settings)).http_base_url
    job = await (await container.get(GetJob))(args.job_id)
    attempts = await (await container.get(GetAttempts))(args.job_id)
    if args.json:
        print_json(
            JobDetailJson(
                job=JobOut.of(job, base_url), attempts=[AttemptOut.of(a) for a in attempts]
            )
        )
    else:
        print(job_with_attempts(job, attempts))
    return ExitCode.OK


async def cancel_job(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        job = await (await container.get(CancelJob))(args.job_id, operator())
    except InvalidTransition as exc:
        raise Conflict(
            f"job {exc.job_id} is {exc.current}; a finished job cannot be cancelled"
        ) from None
    if job.status is JobStatus.RUNNING:
        note = "cancel requested: its worker stops the running attempt at its next lease renewal"
    else:
        note = "cancelled: it will not run"
    await _print_job(container, args, job, note)
    return ExitCode.OK


async def replay_job(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        job = await (await container.get(ReplayDeadJob))(args.job_id, args.attempts, operator())
    except InvalidTransition as exc:
        raise Conflict(
            f"job {exc.job_id} is {exc.current}; only a dead job can be replayed"
        ) from None
    fresh = job.max_attempts - job.attempt
    await _print_job(container, args, job, f"replayed: queued again with {fresh} fresh attempt(s)")
    return ExitCode.OK


async def _print_job(
    container: AsyncContainer, args: argparse.Namespace, job: Job, note: str
) -> None:
    if args.json:
        print_json(JobOut.of(job, (await container.get(Settings)).http_base_url))
    else:
        print(f"job {job.id} {note}\n\n{job_details(job)}")
