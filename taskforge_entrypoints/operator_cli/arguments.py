"""The options of the operator commands (`taskforge jobs|dlq|workers|queues|keys|audit`); bad
values are usage errors."""

import argparse
import math
import os
import re
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from taskforge_domain.access import Scope, parse_scopes
from taskforge_domain.job_limits import MAX_ATTEMPTS_LIMIT, QUEUE_NAME_PATTERN
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.config.go_duration import parse_go_duration
from taskforge_entrypoints.operator_cli.exit_codes import EPILOG
from taskforge_entrypoints.operator_cli.limit_arguments import add_limits
from taskforge_entrypoints.operator_cli.schedule_arguments import add_schedule_commands
from taskforge_entrypoints.presentation import payload_filters
from taskforge_entrypoints.presentation.job_cursor import decode_cursor
from taskforge_entrypoints.presentation.payload_filters import InvalidPayloadFilter

MAX_ATTEMPTS = MAX_ATTEMPTS_LIMIT
DEFAULT_LIST_LIMIT = 50
DEFAULT_REPLAY_LIMIT = 1000
DEFAULT_CONSUMER = "cli-{hostname}"
T = TypeVar("T")


def timestamp(text: str) -> datetime:
    """An ISO 8601 date or date-time; one without a UTC offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or time, like 2026-11-28 or 2026-11-28T09:30:00Z"
        ) from None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _payload_search(parse: Callable[[str], T]) -> Callable[[str], T]:
    def read(text: str) -> T:
        try:
            return parse(text)
        except InvalidPayloadFilter as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return read


def job_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a job id (a UUID)") from None


def cursor(text: str) -> tuple[datetime, UUID]:
    try:
        return decode_cursor(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def attempts(text: str) -> int:
    value = positive_int(text)
    if value > MAX_ATTEMPTS:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at most {MAX_ATTEMPTS}")
    return value


def rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number above 0")
    return value


def block_timeout(text: str) -> timedelta:
    try:
        value = parse_go_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value < timedelta(milliseconds=1):
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1ms")
    return value


def consumer_name(text: str) -> str:
    name = text.replace("{hostname}", socket.gethostname()).replace("{pid}", str(os.getpid()))
    if not name:
        raise argparse.ArgumentTypeError("the consumer name must not be empty")
    return name


def add_operator_commands(commands: Any) -> None:
    """Add `jobs`, `dlq`, `workers`, `queues`, `keys`, `audit` and `limits` to `taskforge`."""
    _add_jobs(commands)
    _add_dlq(commands)
    _add_workers(commands)
    _add_queues(commands)
    _add_keys(commands)
    _add_audit(commands)
    add_schedule_commands(commands, _command, _json_flag)
    add_limits(commands, _command, _json_flag)


def _command(
    commands: Any, name: str, help_text: str, *, aliases: Sequence[str] = ()
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        aliases=list(aliases),
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON for scripts instead of a table"
    )


def _add_jobs(commands: Any) -> None:
    jobs = _command(commands, "jobs", "find, inspect and cancel jobs, replay dead ones")
    actions = jobs.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = _command(actions, "list", "list jobs, newest first, one page at a time")
    listing.add_argument("--status", choices=[status.value for status in JobStatus])
    listing.add_argument("--job-type", metavar="TYPE")
    listing.add_argument("--queue", metavar="NAME", help="one of QUEUES, like high or low")
    listing.add_argument("--key", metavar="KEY", help="the job's Idempotency-Key")
    listing.add_argument("--created-after", type=timestamp, metavar="ISO")
    listing.add_argument("--created-before", type=timestamp, metavar="ISO")
    listing.add_argument("--error", metavar="TEXT", help="text in the last error (any case)")
    listing.add_argument(
        "--payload-equals",
        type=_payload_search(payload_filters.payload_equals),
        metavar="PATH=VALUE",
        help="the payload holds VALUE at PATH (keys joined by dots), like customer.id=42",
    )
    listing.add_argument(
        "--payload-contains",
        type=_payload_search(payload_filters.payload_contains),
        metavar="JSON",
        help='the payload contains this JSON object, like \'{"tags": ["vip"]}\'',
    )
    listing.add_argument(
        "--limit",
        type=positive_int,
        default=DEFAULT_LIST_LIMIT,
        metavar="N",
        help=f"jobs per page (default {DEFAULT_LIST_LIMIT})",
    )
    listing.add_argument(
        "--cursor", type=cursor, metavar="C", help="where the previous page ended, as printed"
    )
    _json_flag(listing)

    show = _command(actions, "show", "show a job and its attempt history")
    show.add_argument("job_id", type=job_id, metavar="ID")
    _json_flag(show)

    cancel = _command(
        actions,
        "cancel",
        "cancel a job: a waiting one never runs, a running one is stopped by its worker",
    )
    cancel.add_argument("job_id", type=job_id, metavar="ID")
    _json_flag(cancel)

    # `retry`, the command's first name, stays as an alias for the scripts that use it.
    replay = _command(
        actions,
        "replay",
        "replay a dead job with a fresh budget of attempts",
        aliases=["retry"],
    )
    replay.add_argument("job_id", type=job_id, metavar="ID")
    replay.add_argument(
        "--attempts",
        type=attempts,
        metavar="N",
        help=f"fresh attempts, 1 to {MAX_ATTEMPTS} (default SERVICE_MAX_ATTEMPTS)",
    )
    _json_flag(replay)


def _dead_job_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job-type", metavar="TYPE")
    parser.add_argument("--error", metavar="TEXT", help="text in the last error (any case)")
    parser.add_argument(
        "--dead-after", type=timestamp, metavar="ISO", help="died at or after this time"
    )
    parser.add_argument(
        "--dead-before", type=timestamp, metavar="ISO", help="died before this time"
    )


def _add_dlq(commands: Any) -> None:
    dlq = _command(commands, "dlq", "inspect, replay and follow dead jobs")
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = _command(actions, "list", "list dead jobs, newest first")
    _dead_job_filters(listing)
    listing.add_argument(
        "--limit",
        type=positive_int,
        default=DEFAULT_LIST_LIMIT,
        metavar="N",
        help=f"most jobs to list (default {DEFAULT_LIST_LIMIT})",
    )
    _json_flag(listing)

    replay = _command(actions, "replay", "replay the dead jobs the filters select, oldest first")
    _dead_job_filters(replay)
    replay.add_argument(
        "--limit",
        type=positive_int,
        default=DEFAULT_REPLAY_LIMIT,
        metavar="N",
        help=f"most jobs to replay (default {DEFAULT_REPLAY_LIMIT})",
    )
    replay.add_argument(
        "--rate",
        type=rate,
        metavar="PER_SECOND",
        help="most replays per second (default: no limit)",
    )
    replay.add_argument(
        "--attempts",
        type=attempts,
        metavar="N",
        help=f"fresh attempts per job, 1 to {MAX_ATTEMPTS} (default SERVICE_MAX_ATTEMPTS)",
    )
    replay.add_argument("--dry-run", action="store_true", help="only list what would be replayed")
    replay.add_argument(
        "--yes", action="store_true", help="replay for real; without it (or --dry-run), refuse"
    )
    _json_flag(replay)

    follow = _command(
        actions,
        "follow",
        "print dead letters as they arrive, read through REDIS_DLQ_CONSUMER_GROUP",
    )
    follow.add_argument(
        "--consumer",
        type=consumer_name,
        default=DEFAULT_CONSUMER,
        metavar="NAME",
        help=(
            "consumer name in the group; {hostname} and {pid} expand "
            f"(default {DEFAULT_CONSUMER}); followers with different names share the letters"
        ),
    )
    follow.add_argument(
        "--count", type=positive_int, metavar="N", help="stop after N letters (default: never)"
    )
    follow.add_argument(
        "--block-timeout",
        type=block_timeout,
        default="2s",
        metavar="DURATION",
        help="longest wait of one read, like 500ms or 2s; bounds how long stopping takes "
        "(default 2s)",
    )
    _json_flag(follow)


def _add_workers(commands: Any) -> None:
    workers = _command(commands, "workers", "see the live workers")
    actions = workers.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = _command(
        actions,
        "list",
        "list the workers heard from within WORKER_LIVENESS, with what each one runs",
    )
    _json_flag(listing)


def _add_queues(commands: Any) -> None:
    queues = _command(commands, "queues", "see the queues, pause and resume them")
    actions = queues.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = _command(
        actions, "list", "list every queue: depth, running, oldest ready job, pause, weights"
    )
    _json_flag(listing)
    for action, help_text in (
        ("pause", "pause a queue: it keeps taking jobs, workers stop starting them"),
        ("resume", "resume a paused queue: workers start its jobs again"),
    ):
        change = _command(actions, action, help_text)
        change.add_argument("queue", metavar="QUEUE")
        _json_flag(change)


def scopes(text: str) -> frozenset[Scope]:
    try:
        return parse_scopes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def queue_list(text: str) -> frozenset[str]:
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    bad = sorted(name for name in names if not re.fullmatch(QUEUE_NAME_PATTERN, name))
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"list queue names separated by commas, like high,normal (not {', '.join(bad)})"
        )
    return names


def duration(text: str) -> timedelta:
    try:
        value = parse_go_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value <= timedelta(0):
        raise argparse.ArgumentTypeError("must be a positive duration, like 720h")
    return value


def _add_keys(commands: Any) -> None:
    keys = _command(
        commands,
        "keys",
        "create, list and revoke the API keys the REST API checks when API_AUTH=required",
    )
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = _command(actions, "create", "create a key and print it, this once")
    create.add_argument("--name", required=True, help="how the key is known: logs, audit, revoke")
    create.add_argument(
        "--scopes",
        required=True,
        type=scopes,
        metavar="SCOPES",
        help="comma-separated: read, submit, operate, admin (admin allows everything)",
    )
    create.add_argument(
        "--queues",
        type=queue_list,
        metavar="Q1,Q2",
        help="limit the key to jobs of these queues (default: every queue)",
    )
    create.add_argument(
        "--expires-in", type=duration, metavar="DURATION", help="like 720h; default: never"
    )
    _json_flag(create)
    listing = _command(actions, "list", "list every key, revoked ones too, without secrets")
    _json_flag(listing)
    revoke = _command(actions, "revoke", "revoke a key: every API process refuses it at once")
    revoke.add_argument("name", metavar="NAME")
    _json_flag(revoke)


def _add_audit(commands: Any) -> None:
    audit = _command(commands, "audit", "read the audit trail of operator writes")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = _command(actions, "list", "list audit entries, newest first, one page at a time")
    listing.add_argument("--actor", help="a key name, anonymous, or cli:<user>")
    listing.add_argument(
        "--action",
        # `action` is the sub-command's own name (list).
        dest="audit_action",
        metavar="ACTION",
        help="job.cancel, job.replay, key.create, queue.pause, limit.set, ... (see the README)",
    )
    listing.add_argument("--job", dest="job_id", type=job_id, metavar="ID")
    listing.add_argument("--after", type=timestamp, metavar="ISO")
    listing.add_argument("--before", type=timestamp, metavar="ISO")
    listing.add_argument("--limit", type=positive_int, default=50)
    listing.add_argument("--cursor", type=positive_int, help="the id `next page` printed")
    _json_flag(listing)
