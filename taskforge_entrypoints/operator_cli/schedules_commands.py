"""`taskforge schedules ...`: the same use cases as /v1/schedules, as the operator."""

import argparse

from dishka import AsyncContainer

from taskforge_app.manage_schedules import (
    CreateSchedule,
    DeleteSchedule,
    PauseSchedule,
    ReadSchedules,
    TriggerSchedule,
)
from taskforge_app.ports import UnstorablePayload
from taskforge_domain.schedule import (
    CatchUp,
    InvalidSchedule,
    Overlap,
    ScheduleNameTaken,
    ScheduleNotFound,
    ScheduleSpec,
    parse_every,
)
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.operator_cli.exit_codes import Conflict, ExitCode, Refused
from taskforge_entrypoints.operator_cli.json_output import print_json
from taskforge_entrypoints.operator_cli.operator import operator
from taskforge_entrypoints.operator_cli.tables import render_table, when
from taskforge_entrypoints.presentation.job_json import JobOut
from taskforge_entrypoints.presentation.schedule_json import ScheduleOut, SchedulesOut


class NoSuchSchedule(Refused):
    """Exit 2 like an unknown key: exit 1 means no such job."""


async def list_schedules(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    views = await (await container.get(ReadSchedules)).all()
    shown = [ScheduleOut.of(view) for view in views]
    if args.json:
        print_json(SchedulesOut(schedules=shown))
    elif not shown:
        print("no schedules")
    else:
        print(_table(shown))
    return ExitCode.OK


async def show_schedule(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        view = await (await container.get(ReadSchedules)).one(args.name)
    except ScheduleNotFound as exc:
        raise NoSuchSchedule(str(exc)) from None
    _print(ScheduleOut.of(view), args.json)
    return ExitCode.OK


async def create_schedule(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    settings = await container.get(Settings)
    if args.queue not in settings.queues:
        raise Refused(f"--queue must be one of {', '.join(settings.queues)}")
    try:
        spec = ScheduleSpec(
            job_type=args.job_type,
            payload=args.payload,
            queue=args.queue,
            cron=args.cron,
            every=None if args.every is None else parse_every(args.every),
            timezone=args.timezone,
            max_attempts=args.max_attempts,
            catch_up=CatchUp(args.catch_up),
            overlap=Overlap(args.overlap),
        )
        await (await container.get(CreateSchedule))(operator(), args.name, spec)
    except (InvalidSchedule, UnstorablePayload) as exc:
        raise Refused(str(exc)) from None
    except ScheduleNameTaken as exc:
        raise Conflict(str(exc)) from None
    view = await (await container.get(ReadSchedules)).one(args.name)
    _print(ScheduleOut.of(view), args.json)
    return ExitCode.OK


async def delete_schedule(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        await (await container.get(DeleteSchedule))(operator(), args.name)
    except ScheduleNotFound as exc:
        raise NoSuchSchedule(str(exc)) from None
    print(f"schedule {args.name!r} deleted; the jobs it made stay")
    return ExitCode.OK


async def pause_schedule(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    return await _set_paused(container, args, paused=True)


async def resume_schedule(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    return await _set_paused(container, args, paused=False)


async def trigger_schedule(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        submitted = await (await container.get(TriggerSchedule))(operator(), args.name)
    except ScheduleNotFound as exc:
        raise NoSuchSchedule(str(exc)) from None
    if args.json:
        settings = await container.get(Settings)
        print_json(JobOut.of(submitted.job, settings.http_base_url))
    else:
        print(f"schedule {args.name!r} triggered: job {submitted.job.id} ({submitted.job.status})")
    return ExitCode.OK


async def _set_paused(
    container: AsyncContainer, args: argparse.Namespace, *, paused: bool
) -> ExitCode:
    try:
        await (await container.get(PauseSchedule))(operator(), args.name, paused)
        view = await (await container.get(ReadSchedules)).one(args.name)
    except ScheduleNotFound as exc:
        raise NoSuchSchedule(str(exc)) from None
    _print(ScheduleOut.of(view), args.json)
    return ExitCode.OK


def _print(schedule: ScheduleOut, as_json: bool) -> None:
    if as_json:
        print_json(schedule)
    else:
        print(_table([schedule]))


def _table(schedules: list[ScheduleOut]) -> str:
    headers = ("NAME", "CADENCE", "TZ", "JOB_TYPE", "QUEUE", "STATE", "NEXT", "LAST_JOB")
    rows = [
        (
            s.name,
            s.cron or f"every {s.every}",
            s.timezone,
            s.job_type,
            s.queue,
            "paused" if s.paused else "active",
            when(s.next_fire_times[0] if s.next_fire_times else None),
            "-" if s.last_job is None else f"{s.last_job.id} {s.last_job.status or 'gone'}",
        )
        for s in schedules
    ]
    return render_table(headers, rows)
