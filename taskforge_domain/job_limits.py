"""What a job's fields may hold. Every way in (REST, the CLI, the settings) reads these
rules from here, so none of them can drift from the others."""

import re
from collections.abc import Mapping
from typing import Any

JOB_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
JOB_TYPE_MAX_LENGTH = 100

QUEUE_NAME_PATTERN = r"^[a-z0-9_-]{1,32}$"

MAX_ATTEMPTS_LIMIT = 100
"""The most attempts one job may be given, at submit or by a replay."""

# Printable ASCII with no space at either end: HTTP drops those around a header's value,
# so a key that had them could not be sent as Idempotency-Key.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"
IDEMPOTENCY_KEY_MAX_LENGTH = 255

# What a text the store keeps or compares (a filter, a key) may hold: anything but NUL.
STORABLE_TEXT_PATTERN = r"^[^\x00]*$"


def matches_whole(pattern: str, text: str) -> bool:
    """Whether all of text matches pattern. msgspec checks its patterns with re.search,
    where `$` also matches before a final line break: "ping\n" passed for a job_type
    although the schema, PostgreSQL's regular expressions and JSON Schema's all refuse it."""
    return re.fullmatch(pattern, text) is not None


def holds_nul(value: Any) -> bool:
    """Whether a text, or any string inside a JSON value, holds the NUL character: the
    store's text and jsonb types cannot keep it, so such a value is refused where it
    enters rather than failing half-way through a write."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False


def unstorable_text(text: str) -> str | None:
    """Why the store could neither keep nor compare this text, or None when it can:
    its text type holds no NUL, and only valid Unicode reaches it (a lone surrogate,
    such as undecodable bytes in a command line, cannot be encoded)."""
    if "\x00" in text:
        return "cannot contain the NUL character (\\u0000)"
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        return f"is not valid Unicode text ({exc.reason} at character {exc.start})"
    return None


# In JSON text a NUL character is the escape \u0000; one preceded by an odd number of
# backslashes is the six characters typed as text, which the store keeps.
_ESCAPED_NUL = r"(?<!\\)(?:\\\\)*\\u0000"
_ESCAPED_NUL_TEXT = re.compile(_ESCAPED_NUL)
_ESCAPED_NUL_BYTES = re.compile(_ESCAPED_NUL.encode())


def json_text_holds_nul(text: str | bytes) -> bool:
    """holds_nul for a value already encoded as JSON (text or UTF-8 bytes): one search,
    no walk of the value."""
    if isinstance(text, bytes):
        return _ESCAPED_NUL_BYTES.search(text) is not None
    return _ESCAPED_NUL_TEXT.search(text) is not None
