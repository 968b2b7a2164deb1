"""`taskforge limits list|set|delete`, of a job type or, with --queue, of a queue."""

import argparse

from dishka import AsyncContainer

from taskforge_app.manage_limits import LimitNotFound, ListLimits, RemoveLimit, SetLimit
from taskforge_app.manage_queue_limits import (
    ListQueueLimits,
    QueueLimitNotFound,
    RemoveQueueLimit,
    SetQueueLimit,
)
from taskforge_app.pause_queue import QueueNotFound
from taskforge_domain.job_type_limit import InvalidLimit, JobTypeLimit
from taskforge_domain.queue_limit import QueueLimit
from taskforge_entrypoints.operator_cli.exit_codes import ExitCode, Refused
from taskforge_entrypoints.operator_cli.json_output import print_json
from taskforge_entrypoints.operator_cli.operator import operator
from taskforge_entrypoints.operator_cli.tables import limits_table
from taskforge_entrypoints.presentation.limit_json import LimitOut, LimitsOut, QueueLimitOut


async def list_limits(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    limits = await (await container.get(ListLimits))()
    queue_limits = await (await container.get(ListQueueLimits))()
    if args.json:
        print_json(
            LimitsOut(
                limits=[LimitOut.of(stored) for stored in limits],
                queue_limits=[QueueLimitOut.of(stored) for stored in queue_limits],
            )
        )
        return ExitCode.OK
    print(limits_table(limits) if limits else "no job type has a limit")
    print(limits_table(queue_limits) if queue_limits else "no queue has a limit")
    return ExitCode.OK


def _target(args: argparse.Namespace) -> str:
    if (args.job_type is None) == (args.queue is None):
        raise Refused("name either a JOB_TYPE or a --queue QUEUE")
    return str(args.job_type if args.queue is None else args.queue)


async def set_limit(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    name = _target(args)
    try:
        if args.queue is None:
            stored = await (await container.get(SetLimit))(
                operator(), JobTypeLimit(name, args.concurrency, args.rate)
            )
            answer: LimitOut | QueueLimitOut = LimitOut.of(stored)
        else:
            queue_stored = await (await container.get(SetQueueLimit))(
                operator(), QueueLimit(name, args.concurrency, args.rate)
            )
            answer = QueueLimitOut.of(queue_stored)
    except InvalidLimit as exc:
        raise Refused(f"{exc} (--concurrency N, --rate N/PERIOD)") from None
    except QueueNotFound as exc:
        raise Refused(str(exc)) from None
    if args.json:
        print_json(answer)
    else:
        print(f"limit of {_what(args)} set; every worker honours it from its next claim")
    return ExitCode.OK


async def delete_limit(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    name = _target(args)
    try:
        if args.queue is None:
            answer: LimitOut | QueueLimitOut = LimitOut.of(
                await (await container.get(RemoveLimit))(operator(), name)
            )
        else:
            answer = QueueLimitOut.of(
                await (await container.get(RemoveQueueLimit))(operator(), name)
            )
    except (LimitNotFound, QueueLimitNotFound) as exc:
        raise Refused(str(exc)) from None
    if args.json:
        print_json(answer)
    else:
        print(f"limit of {_what(args)} removed; its jobs start freely again")
    return ExitCode.OK


def _what(args: argparse.Namespace) -> str:
    return f"job type {args.job_type!r}" if args.queue is None else f"queue {args.queue!r}"
