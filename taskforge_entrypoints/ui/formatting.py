"""How the dashboard writes times, ages and JSON: UTC with the age beside it, and payloads
with the values of UI_MASK_PAYLOAD_KEYS hidden."""

import json
from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

MASK = "••••••"


def utc(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat()


def duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.0f} s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """`3 min 2 s ago`, or `in 40 s` for a time ahead."""
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if abs(seconds) < 1:
        return "just now"
    return f"{duration(seconds)} ago" if seconds > 0 else f"in {duration(-seconds)}"


def masked(value: Any, keys: Set[str]) -> Any:
    """The value with every object member named in `keys` replaced, at any depth."""
    if isinstance(value, dict):
        return {k: MASK if k in keys else masked(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item, keys) for item in value]
    return value


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def percent(fraction: float | None) -> str:
    return "" if fraction is None else f"{fraction * 100:.0f} %"
