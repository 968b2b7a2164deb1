"""`taskforge workers list`."""

import argparse

from dishka import AsyncContainer

from taskforge_app.list_workers import ListWorkers
from taskforge_entrypoints.operator_cli.exit_codes import ExitCode
from taskforge_entrypoints.operator_cli.json_output import print_json
from taskforge_entrypoints.operator_cli.tables import workers_table
from taskforge_entrypoints.presentation.worker_json import WorkersOut


async def list_workers(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    workers = await (await container.get(ListWorkers))()
    if args.json:
        print_json(WorkersOut.of(workers))
    else:
        print(workers_table(workers) if workers else "no live workers")
    return ExitCode.OK
