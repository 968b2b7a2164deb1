"""PostgreSQL's jsonb containment and the payload_equals rule, in Python, for the fakes."""

import json
from collections.abc import Mapping
from typing import Any

from taskforge_app.ports import PayloadEquals


def contains(value: Any, fragment: Any) -> bool:
    """jsonb `value @> fragment` below the top level: objects hold the fragment's keys,
    arrays hold an item for each of the fragment's items, scalars are equal."""
    if isinstance(fragment, Mapping):
        return isinstance(value, Mapping) and all(
            key in value and contains(value[key], item) for key, item in fragment.items()
        )
    if isinstance(fragment, list):
        return isinstance(value, list) and all(
            any(contains(held, item) for held in value) for item in fragment
        )
    return same_scalar(value, fragment)


def same_scalar(value: Any, other: Any) -> bool:
    # Python's True == 1, jsonb's true is no number.
    if isinstance(value, bool) or isinstance(other, bool):
        return value is other
    if isinstance(value, int | float) and isinstance(other, int | float):
        return value == other
    return type(value) is type(other) and value == other


def equals_at_path(payload: Mapping[str, Any], search: PayloadEquals) -> bool:
    value: Any = payload
    for key in search.path:
        if not isinstance(value, Mapping) or key not in value:
            return False
        value = value[key]
    return any(same_scalar(value, json.loads(text)) for text in search.json_values())
