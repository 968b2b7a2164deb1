"""The options of `taskforge limits list|set|delete`."""

import argparse
import re
from typing import Any

from taskforge_domain.job_type_limit import MAX_CONCURRENCY, MAX_RATE, Rate, RatePeriod

_RATE = re.compile(r"^(?P<starts>[0-9]+)/(?P<per>second|minute|hour)$")


def rate_limit(text: str) -> Rate:
    """`100/minute`: at most 100 starts per minute."""
    found = _RATE.fullmatch(text)
    if found is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a rate: N/second, N/minute or N/hour, like 100/minute"
        )
    starts = int(found["starts"])
    if not 1 <= starts <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"{text!r}: from 1 to {MAX_RATE} starts per period")
    return Rate(starts, RatePeriod(found["per"]))


def concurrency(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number from 1 to {MAX_CONCURRENCY}")
    return int(text)


def add_limits(commands: Any, command: Any, json_flag: Any) -> None:
    limits = command(
        commands, "limits", "set, list and remove the global limits per job type and per queue"
    )
    actions = limits.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = command(actions, "list", "list every job type's and queue's limit and slots in use")
    json_flag(listing)
    setting = command(actions, "set", "set a job type's or a queue's limit, replacing any")
    _target(setting)
    setting.add_argument(
        "--concurrency",
        type=concurrency,
        metavar="N",
        help="at most N attempts of the type (or queue) run at once across all workers",
    )
    setting.add_argument(
        "--rate",
        type=rate_limit,
        metavar="N/PERIOD",
        help="at most N starts per second, minute or hour across all workers, like 100/minute",
    )
    json_flag(setting)
    removing = command(actions, "delete", "remove a job type's or a queue's limit")
    _target(removing)
    json_flag(removing)


def _target(parser: Any) -> None:
    parser.add_argument("job_type", metavar="JOB_TYPE", nargs="?", help="the job type limited")
    parser.add_argument("--queue", metavar="QUEUE", help="limit this queue instead of a type")
