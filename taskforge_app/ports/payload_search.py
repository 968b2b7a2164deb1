"""The two payload searches of a job listing, and what each text stands for as JSON."""

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# The widest numbers PostgreSQL's numeric (and so jsonb) holds: no stored payload
# holds a number beyond them, so such a text can only equal a string.
_MOST_DIGITS_BEFORE_POINT, _MOST_DIGITS_AFTER_POINT = 131_072, 16_383
_SCALARS: dict[str, Any] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True, slots=True)
class PayloadEquals:
    """Jobs whose payload holds, at `path` (object keys from the top), the text as a
    string or the JSON number, true, false or null that the text spells, the way a
    search box is read: `customer.id` = `42` finds 42 and "42"."""

    path: tuple[str, ...]
    text: str

    def json_values(self) -> list[str]:
        """Each value the text stands for, as JSON text: first the string, then the
        scalar it spells (if any)."""
        values = [_json_string(self.text)]
        if self.text in _SCALARS or _is_storable_number(self.text):
            values.append(self.text)
        return values

    def fragments(self) -> list[str]:
        """The payloads (as JSON text) one of which a matching payload contains."""
        opening = "".join(f"{{{_json_string(key)}:" for key in self.path)
        return [opening + value + "}" * len(self.path) for value in self.json_values()]


def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _is_storable_number(text: str) -> bool:
    if not _JSON_NUMBER.fullmatch(text):
        return False
    number = Decimal(text)
    exponent = number.as_tuple().exponent
    return (
        isinstance(exponent, int)
        and number.adjusted() < _MOST_DIGITS_BEFORE_POINT
        and -exponent <= _MOST_DIGITS_AFTER_POINT
    )


def texts_within(value: Any) -> Iterator[str]:
    """Every string of a JSON value, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield key
            yield from texts_within(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts_within(item)
