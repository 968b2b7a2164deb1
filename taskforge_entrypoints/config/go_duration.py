"""Durations written the way Go writes them: `300ms`, `5s`, `15m`, `1h30m`."""

import re
from datetime import timedelta

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> timedelta:
    """Parse a non-negative Go duration; raise ValueError naming what is wrong."""
    if text == "0":
        return timedelta(0)
    if not text:
        raise ValueError("empty duration")
    position, seconds = 0, 0.0
    while position < len(text):
        match = _PART.match(text, position)
        if match is None:
            raise ValueError(f"{text!r} is not a duration like 300ms, 5s, 15m or 1h30m")
        seconds += float(match[1]) * _UNIT_SECONDS[match[2]]
        position = match.end()
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None
