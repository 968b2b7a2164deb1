"""The options of `taskforge schedules list|show|create|delete|pause|resume|trigger`."""

import argparse
import json
from typing import Any

from taskforge_domain.schedule import CatchUp, Overlap


def payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def add_schedule_commands(commands: Any, command: Any, json_flag: Any) -> None:
    """`command` and `json_flag` make parsers the way every operator command does."""
    schedules = command(commands, "schedules", "create, read, pause and trigger schedules")
    actions = schedules.add_subparsers(dest="action", required=True, metavar="ACTION")
    json_flag(command(actions, "list", "every schedule with its next fire times and last job"))
    show = command(actions, "show", "one schedule")
    show.add_argument("name", metavar="NAME")
    json_flag(show)
    create = command(actions, "create", "create a schedule")
    create.add_argument("--name", required=True)
    cadence = create.add_mutually_exclusive_group(required=True)
    cadence.add_argument("--cron", help="5 fields, or 6 with seconds first: '*/5 * * * *'")
    cadence.add_argument("--every", help="whole seconds, at least 1s: 30s, 5m, 1h30m")
    create.add_argument("--timezone", default="UTC", help="IANA time zone of cron (default UTC)")
    create.add_argument("--job-type", required=True)
    create.add_argument("--payload", type=payload, default={}, help="a JSON object")
    create.add_argument("--queue", default="normal")
    create.add_argument("--max-attempts", type=int)
    create.add_argument("--catch-up", choices=[c.value for c in CatchUp], default="latest")
    create.add_argument("--overlap", choices=[o.value for o in Overlap], default="allow")
    json_flag(create)
    for name, text in (
        ("delete", "delete a schedule; the jobs it made stay"),
        ("pause", "pause a schedule: its ticks are skipped until resumed"),
        ("resume", "resume a schedule from its next tick after now"),
        ("trigger", "submit the schedule's job now, outside its ticks"),
    ):
        action = command(actions, name, text)
        action.add_argument("name", metavar="NAME")
        json_flag(action)
