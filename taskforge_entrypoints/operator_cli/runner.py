"""Run one operator command against PostgreSQL and Redis and turn its outcome into an exit code."""

import argparse
import asyncio
import dataclasses
import os
import sys
from collections.abc import Awaitable, Callable

from dishka import AsyncContainer

from taskforge_app.job_changes import JobBusy
from taskforge_app.ports import ChannelUnavailable, StoreUnavailable, UnsearchableText
from taskforge_domain.errors import JobNotFound
from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.operator_cli import (
    access_commands,
    dlq_commands,
    jobs_commands,
    limits_commands,
    queues_commands,
    schedules_commands,
    workers_commands,
)
from taskforge_entrypoints.operator_cli.exit_codes import Conflict, ExitCode, Refused

Command = Callable[[AsyncContainer, argparse.Namespace], Awaitable[ExitCode]]

COMMANDS: dict[tuple[str, str], Command] = {
    ("jobs", "list"): jobs_commands.list_jobs,
    ("jobs", "show"): jobs_commands.show_job,
    ("jobs", "cancel"): jobs_commands.cancel_job,
    ("jobs", "replay"): jobs_commands.replay_job,
    # argparse reports an alias under the name typed, so the old name needs its own entry.
    ("jobs", "retry"): jobs_commands.replay_job,
    ("dlq", "list"): dlq_commands.list_dead,
    ("dlq", "replay"): dlq_commands.replay_dead,
    ("dlq", "follow"): dlq_commands.follow_dead,
    ("workers", "list"): workers_commands.list_workers,
    ("queues", "list"): queues_commands.list_queues,
    ("queues", "pause"): queues_commands.pause_queue,
    ("queues", "resume"): queues_commands.resume_queue,
    ("keys", "create"): access_commands.create_key,
    ("keys", "list"): access_commands.list_keys,
    ("keys", "revoke"): access_commands.revoke_key,
    ("audit", "list"): access_commands.list_audit,
    ("schedules", "list"): schedules_commands.list_schedules,
    ("schedules", "show"): schedules_commands.show_schedule,
    ("schedules", "create"): schedules_commands.create_schedule,
    ("schedules", "delete"): schedules_commands.delete_schedule,
    ("schedules", "pause"): schedules_commands.pause_schedule,
    ("schedules", "resume"): schedules_commands.resume_schedule,
    ("schedules", "trigger"): schedules_commands.trigger_schedule,
    ("limits", "list"): limits_commands.list_limits,
    ("limits", "set"): limits_commands.set_limit,
    ("limits", "delete"): limits_commands.delete_limit,
}

# The adapters report a lost service as StoreUnavailable or ChannelUnavailable; only
# the first connection of the PostgreSQL pool fails with the driver's own errors,
# which the composition root names (ioc.STORE_REFUSED) so this module needs no driver.
_UNAVAILABLE = (StoreUnavailable, ChannelUnavailable)
_UNREACHABLE = (OSError, TimeoutError)


def run_operator_command(args: argparse.Namespace, settings: Settings) -> int:
    command = COMMANDS[(args.command, args.action)]
    name = f"taskforge {args.command} {args.action}"
    try:
        return int(asyncio.run(_run(command, args, settings)))
    except JobNotFound as exc:
        return _fail(name, exc, ExitCode.NOT_FOUND)
    except Refused as exc:
        return _fail(name, exc, ExitCode.USAGE)
    except UnsearchableText as exc:
        # The query's field is the option's name (error_contains is --error).
        option = "--" + exc.field.removesuffix("_contains").replace("_", "-")
        return _fail(name, f"{option} {exc.reason}", ExitCode.USAGE)
    except (Conflict, JobBusy) as exc:
        return _fail(name, exc, ExitCode.CONFLICT)
    except BrokenPipeError:
        # Whoever read stdout has gone (`| head`); nothing more can be printed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except _UNAVAILABLE as exc:
        return _fail(name, exc, ExitCode.UNAVAILABLE)
    except _UNREACHABLE as exc:
        return _fail(
            name, f"PostgreSQL unavailable: {type(exc).__name__}: {exc}", ExitCode.UNAVAILABLE
        )
    except ioc.STORE_REFUSED as exc:
        return _fail(name, f"PostgreSQL refused the connection: {exc}", ExitCode.UNAVAILABLE)
    except ioc.STORE_NOT_MIGRATED as exc:
        return _fail(
            name,
            f"{exc}: the database is not migrated, run `taskforge migrate up`",
            ExitCode.UNAVAILABLE,
        )


async def _run(command: Command, args: argparse.Namespace, settings: Settings) -> ExitCode:
    if (block := getattr(args, "block_timeout", None)) is not None:
        # The Redis client's read timeout is derived from this and must outlast a blocking read.
        settings = dataclasses.replace(settings, worker_block_timeout=block)
    container = ioc.make_container(settings)
    try:
        return await command(container, args)
    finally:
        await container.close()


def _fail(name: str, problem: Exception | str, code: ExitCode) -> int:
    print(f"{name}: {problem}", file=sys.stderr)
    return code
