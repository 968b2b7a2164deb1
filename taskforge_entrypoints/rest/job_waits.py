"""`?wait=SECONDS` on GET /v1/jobs/{id}: how long a long-poll may hold the answer."""

import math
import re
from typing import Any

from litestar.params import Parameter

from taskforge_app.wait_for_job import MAX_WAIT_SECONDS
from taskforge_entrypoints.rest.errors import InvalidQuery

# A JSON number, as the schema's "type": "number" lets a client write one.
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")

WAIT: Any = Parameter(
    description=(
        "Hold the answer until the job is completed, dead or cancelled, or for at most this "
        "many seconds; then answer 200 with the job as it is."
    ),
    schema_extra={"type": "number", "exclusiveMinimum": 0, "maximum": MAX_WAIT_SECONDS},
)


def query_wait(text: str | None) -> float | None:
    if text is None:
        return None
    seconds = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not 0 < seconds <= MAX_WAIT_SECONDS:
        raise InvalidQuery(
            detail=f"wait: {text!r} is not a number of seconds above 0 and at most "
            f"{MAX_WAIT_SECONDS:g}"
        )
    return seconds
