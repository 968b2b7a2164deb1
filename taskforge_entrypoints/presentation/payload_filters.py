"""The text forms of the two payload searches, read alike by GET /v1/jobs and
`taskforge jobs list`:

- `payload_equals=PATH=VALUE`: PATH is object keys joined by dots (`customer.id`); the
  first `=` ends it, so a key holds neither `.` nor `=`. VALUE is what a search box
  holds: it matches the string VALUE, and the number, true, false or null it spells.
- `payload_contains=JSON`: a JSON object the payload contains (jsonb `@>`): nested
  objects match a part of the payload's, arrays match arrays holding those items."""

from typing import Any

import msgspec

from taskforge_app.ports import PayloadEquals

PATH_MAX_KEYS = 32
PAYLOAD_EQUALS_MAX_LENGTH = 1000
_KEY = r"[^.=\x00]+"
PAYLOAD_EQUALS_PATTERN = rf"^{_KEY}(\.{_KEY}){{0,{PATH_MAX_KEYS - 1}}}=[^\x00]*$"


class InvalidPayloadFilter(ValueError):
    """A payload search's text that is not in its form, named by its parameter."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter} {reason}")
        self.parameter = parameter


def payload_equals(text: str) -> PayloadEquals:
    if len(text) > PAYLOAD_EQUALS_MAX_LENGTH:
        raise InvalidPayloadFilter(
            "payload_equals", f"is longer than {PAYLOAD_EQUALS_MAX_LENGTH} characters"
        )
    path, equals, value = text.partition("=")
    if not equals:
        raise InvalidPayloadFilter(
            "payload_equals", f"must be PATH=VALUE, like customer.id=42, not {text!r}"
        )
    keys = tuple(path.split("."))
    if not all(keys):
        raise InvalidPayloadFilter(
            "payload_equals",
            f"has a path with an empty key ({path!r}): keys are joined by single dots, "
            "like customer.id",
        )
    if len(keys) > PATH_MAX_KEYS:
        raise InvalidPayloadFilter(
            "payload_equals", f"has a path of {len(keys)} keys; at most {PATH_MAX_KEYS}"
        )
    return PayloadEquals(keys, value)


def payload_contains(text: str) -> dict[str, Any]:
    try:
        fragment = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise InvalidPayloadFilter("payload_contains", f"is not valid JSON: {exc}") from None
    if not isinstance(fragment, dict):
        raise InvalidPayloadFilter(
            "payload_contains",
            f'must be a JSON object, like {{"customer": {{"id": 42}}}}, not {text!r}',
        )
    if not fragment:
        raise InvalidPayloadFilter(
            "payload_contains", "must name at least one key: {} is in every payload"
        )
    return fragment
