"""The `taskforge` command: one sub-command per process kind, plus migrations."""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from taskforge_app.ports import ChannelUnavailable, StoreUnavailable
from taskforge_entrypoints.config.settings import ConfigError, Settings, load_settings
from taskforge_entrypoints.ioc import MigrationError, RedisSetupError
from taskforge_entrypoints.process.lifecycle import run_event_loop
from taskforge_entrypoints.process.logging_setup import configure_logging
from taskforge_entrypoints.worker.handler_modules import HandlerModuleError

# Failures an operator fixes outside Taskforge: one line, no traceback.
STARTUP_ERRORS = (
    HandlerModuleError,
    MigrationError,
    RedisSetupError,
    StoreUnavailable,
    ChannelUnavailable,
    OSError,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskforge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("api", help="serve the REST API on HTTP_ADDR")
    worker = commands.add_parser("worker", help="run jobs (and, by default, the retry scheduler)")
    worker.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run the retry scheduler in this process (also WORKER_RUN_SCHEDULER=false)",
    )
    commands.add_parser("scheduler", help="run the retry scheduler alone")
    commands.add_parser("run", help="api + worker + scheduler together, for local use")
    migrate = commands.add_parser("migrate", help="apply or roll back the SQL migrations")
    actions = migrate.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("up", help="apply every pending migration")
    down = actions.add_parser("down", help="roll back migrations, newest first (all by default)")
    down.add_argument("steps", nargs="?", type=int, help="how many to roll back")
    actions.add_parser("version", help="print the current version")
    force = actions.add_parser("force", help="set the version without running anything")
    force.add_argument("version", type=int)
    from taskforge_entrypoints.operator_cli.arguments import add_operator_commands

    add_operator_commands(commands)
    return parser


def _configure_logging(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"taskforge: configuration error: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130
    except STARTUP_ERRORS as exc:
        print(f"taskforge {args.command}: {exc}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "api":
        from taskforge_entrypoints.rest.serve import serve_api

        serve_api(settings)
    elif args.command == "worker":
        from taskforge_entrypoints.worker.main import run_worker

        with_scheduler = settings.worker_run_scheduler and not args.no_scheduler
        run_event_loop(run_worker(settings, with_scheduler=with_scheduler))
    elif args.command == "scheduler":
        from taskforge_entrypoints.scheduler.main import main as run_scheduler

        run_event_loop(run_scheduler(settings))
    elif args.command == "run":
        from taskforge_entrypoints.process.run_all import run_all

        return run_all()
    elif args.command == "migrate":
        from taskforge_entrypoints.operator_cli.migrate_command import migrate

        return asyncio.run(migrate(settings, args))
    elif args.command in (
        "jobs",
        "dlq",
        "workers",
        "queues",
        "keys",
        "audit",
        "schedules",
        "limits",
    ):
        from taskforge_entrypoints.operator_cli.runner import run_operator_command

        return run_operator_command(args, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
