"""`taskforge queues list|pause|resume`."""

import argparse

from dishka import AsyncContainer

from taskforge_app.list_queues import ListQueues
from taskforge_app.pause_queue import PauseChange, PauseQueue, QueueNotFound, ResumeQueue
from taskforge_entrypoints.operator_cli.exit_codes import ExitCode, Refused
from taskforge_entrypoints.operator_cli.json_output import print_json
from taskforge_entrypoints.operator_cli.operator import operator
from taskforge_entrypoints.operator_cli.tables import queues_table, when
from taskforge_entrypoints.presentation.queue_json import PauseOut, QueuesOut


async def list_queues(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    queues = await (await container.get(ListQueues))(operator())
    if args.json:
        print_json(QueuesOut.of(queues))
    else:
        print(queues_table(queues))
    return ExitCode.OK


async def pause_queue(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        change = await (await container.get(PauseQueue))(args.queue, operator())
    except QueueNotFound as exc:
        raise Refused(str(exc)) from None
    _report(change, args)
    return ExitCode.OK


async def resume_queue(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        change = await (await container.get(ResumeQueue))(args.queue, operator())
    except QueueNotFound as exc:
        raise Refused(str(exc)) from None
    _report(change, args)
    return ExitCode.OK


def _report(change: PauseChange, args: argparse.Namespace) -> None:
    if args.json:
        print_json(PauseOut.of(change))
    elif change.pause is not None:
        since = f"since {when(change.pause.paused_at)} by {change.pause.paused_by}"
        verb = "paused" if change.changed else "already paused"
        print(f"queue {change.queue} {verb} {since}: it takes jobs, no worker starts them")
    else:
        verb = "resumed" if change.changed else "not paused"
        print(f"queue {change.queue} {verb}: workers start its jobs")
