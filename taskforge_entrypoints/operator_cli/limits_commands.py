"""`taskforge limits list|set|delete`."""

import argparse

from dishka import AsyncContainer

from taskforge_app.manage_limits import LimitNotFound, ListLimits, RemoveLimit, SetLimit
from taskforge_domain.job_type_limit import InvalidLimit, JobTypeLimit
from taskforge_entrypoints.operator_cli.exit_codes import ExitCode, Refused
from taskforge_entrypoints.operator_cli.json_output import print_json
from taskforge_entrypoints.operator_cli.operator import operator
from taskforge_entrypoints.operator_cli.tables import limits_table
from taskforge_entrypoints.presentation.limit_json import LimitOut, LimitsOut


async def list_limits(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    limits = await (await container.get(ListLimits))()
    if args.json:
        print_json(LimitsOut(limits=[LimitOut.of(stored) for stored in limits]))
    else:
        print(limits_table(limits) if limits else "no job type has a limit")
    return ExitCode.OK


async def set_limit(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        limit = JobTypeLimit(args.job_type, args.concurrency, args.rate)
        stored = await (await container.get(SetLimit))(operator(), limit)
    except InvalidLimit as exc:
        raise Refused(f"{exc} (--concurrency N, --rate N/PERIOD)") from None
    if args.json:
        print_json(LimitOut.of(stored))
    else:
        print(f"limit of {args.job_type!r} set; every worker honours it from its next claim")
    return ExitCode.OK


async def delete_limit(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        removed = await (await container.get(RemoveLimit))(operator(), args.job_type)
    except LimitNotFound as exc:
        raise Refused(str(exc)) from None
    if args.json:
        print_json(LimitOut.of(removed))
    else:
        print(f"limit of {args.job_type!r} removed; its jobs start freely again")
    return ExitCode.OK
