"""Query values read strictly: Litestar takes the last of a repeated parameter and reads
`null` as absent for a number or a status, where the schema allows neither."""

import re
from typing import Any

from litestar import Request
from litestar.params import Parameter

from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.rest.errors import InvalidQuery

_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")

STATUS = Parameter(schema_extra={"enum": [status.value for status in JobStatus]})


def whole_number(least: int, most: int, default: int | None = None) -> Any:
    """A number parameter, declared as text so query_whole_number reads it."""
    schema: dict[str, Any] = {"type": "integer", "minimum": least, "maximum": most}
    if default is not None:
        schema["default"] = default
    return Parameter(schema_extra=schema)


async def refuse_repeated(request: Request[Any, Any, Any]) -> None:
    """A before_request hook: each query parameter of these routes takes one value."""
    for name in request.query_params:
        if len(request.query_params.getall(name)) > 1:
            raise InvalidQuery(detail=f"{name} is given more than once; give it once")


def query_status(text: str | None) -> JobStatus | None:
    if text is None:
        return None
    try:
        return JobStatus(text)
    except ValueError:
        statuses = ", ".join(status.value for status in JobStatus)
        raise InvalidQuery(detail=f"status: {text!r} is not one of {statuses}") from None


def query_whole_number(name: str, text: str | None, least: int, most: int) -> int | None:
    if text is None:
        return None
    if not _WHOLE_NUMBER.fullmatch(text) or not least <= int(text) <= most:
        raise InvalidQuery(detail=f"{name}: {text!r} is not a whole number from {least} to {most}")
    return int(text)
