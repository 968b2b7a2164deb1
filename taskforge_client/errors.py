"""The API's problem documents (RFC 9457) as exceptions, one class per kind of failure."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import msgspec


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One reason a request was refused: `key` names the field when the server knows it."""

    message: str
    key: str | None = None
    source: str | None = None


class TaskforgeError(Exception):
    """An answer that is not a success; `status` is None when no answer came at all."""

    def __init__(self, status: int | None, code: str, detail: str | None = None) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(status, code, detail)

    def __str__(self) -> str:
        where = f"{self.status} " if self.status is not None else ""
        return f"{where}{self.code}: {self.detail}" if self.detail else f"{where}{self.code}"


class JobNotFound(TaskforgeError):
    pass


class IdempotencyKeyReused(TaskforgeError):
    pass


class ValidationFailed(TaskforgeError):
    def __init__(
        self,
        status: int | None,
        code: str,
        detail: str | None = None,
        errors: tuple[FieldError, ...] = (),
    ) -> None:
        super().__init__(status, code, detail)
        self.errors = errors


class _MayAskToWait(TaskforgeError):
    """An error whose answer may say, in Retry-After, how long to wait before trying again."""

    def __init__(
        self,
        status: int | None,
        code: str,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, code, detail)
        self.retry_after = retry_after


class Conflict(_MayAskToWait):
    """The job's status does not allow the change (or the job is busy: retry_after)."""


class ServiceUnavailable(_MayAskToWait):
    """The service cannot answer now; `retry_after` is how long it asked to wait, in seconds."""


class ConnectionFailed(TaskforgeError):
    """No answer: the connection could not be made or broke before the answer came."""

    def __init__(self, detail: str) -> None:
        super().__init__(None, "connection-failed", detail)


class _Problem(msgspec.Struct, kw_only=True):
    code: str | None = None
    detail: str | None = None
    title: str | None = None
    errors: list[Any] | None = None


_BY_CODE: dict[str, type[TaskforgeError]] = {
    "job-not-found": JobNotFound,
    "idempotency-key-reused": IdempotencyKeyReused,
    "validation-failed": ValidationFailed,
    "payload-not-storable": ValidationFailed,
}
_BY_STATUS: dict[int, type[TaskforgeError]] = {
    409: Conflict,
    422: ValidationFailed,
    503: ServiceUnavailable,
}
_PROBLEM = msgspec.json.Decoder(_Problem)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds to wait: a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (at - (now or datetime.now(UTC))).total_seconds())


def problem_error(status: int, body: bytes | Any, retry_after: str | None = None) -> TaskforgeError:
    """The exception for an error answer: its problem document, or its bare status when the
    body is not one (a proxy's page, say)."""
    try:
        problem = (
            _PROBLEM.decode(body) if isinstance(body, bytes) else msgspec.convert(body, _Problem)
        )
    except msgspec.MsgspecError:
        text = body.decode(errors="replace")[:200] if isinstance(body, bytes) else None
        problem = _Problem(detail=text or None)
    code = problem.code or f"http-{status}"
    kind = _BY_CODE.get(code) or _BY_STATUS.get(status, TaskforgeError)
    detail = problem.detail or problem.title
    if issubclass(kind, ValidationFailed):
        return kind(status, code, detail, _field_errors(problem.errors))
    if issubclass(kind, Conflict | ServiceUnavailable):
        return kind(status, code, detail, retry_after_seconds(retry_after))
    return kind(status, code, detail)


def _field_errors(raw: list[Any] | None) -> tuple[FieldError, ...]:
    found = []
    for item in raw or ():
        try:
            found.append(msgspec.convert(item, FieldError))
        except msgspec.ValidationError:
            found.append(FieldError(message=str(item)))
    return tuple(found)
