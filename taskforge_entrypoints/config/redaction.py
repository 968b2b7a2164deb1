"""Settings printed in a log line, an error or a debugger show no secret."""

import dataclasses
import re
from typing import Any

REDACTED = "<redacted>"

# By name, so a secret setting added later is hidden without anyone remembering to.
_SECRET_NAME = re.compile(r"password|secret|token|credential", re.IGNORECASE)


def redacted_repr(instance: Any) -> str:
    """The dataclass's usual repr, with the value of every secret-named field hidden; an
    empty one still shows as empty, which tells an operator it is not set."""
    shown = []
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        hidden = bool(value) and _SECRET_NAME.search(field.name) is not None
        shown.append(f"{field.name}={REDACTED if hidden else repr(value)}")
    return f"{type(instance).__name__}({', '.join(shown)})"
