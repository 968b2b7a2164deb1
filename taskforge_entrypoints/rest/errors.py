"""Every error the API answers, as an RFC 9457 problem document with a stable code."""

import logging
import math
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from taskforge_app.admit_submissions import SubmitRateExceeded
from taskforge_app.authenticate import Unauthenticated
from taskforge_app.job_changes import JobBusy
from taskforge_app.manage_keys import InvalidKeyRequest, KeyNotFound
from taskforge_app.manage_limits import LimitNotFound
from taskforge_app.manage_queue_limits import QueueLimitNotFound
from taskforge_app.pause_queue import QueueNotFound
from taskforge_app.ports import StoreUnavailable, UnsearchableText, UnstorablePayload
from taskforge_app.ports.api_keys import KeyNameTaken
from taskforge_domain.access import Forbidden
from taskforge_domain.errors import IdempotencyKeyReused, InvalidTransition, JobNotFound
from taskforge_domain.job_type_limit import InvalidLimit
from taskforge_domain.schedule import InvalidSchedule, ScheduleNameTaken, ScheduleNotFound
from taskforge_domain.webhook_delivery import NoFailedWebhook
from taskforge_entrypoints.presentation.payload_filters import InvalidPayloadFilter
from taskforge_entrypoints.rest.schemas import Problem

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"

_CODES_BY_STATUS = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
}

AnyRequest = Request[Any, Any, Any]


class TaskforgeHTTPError(HTTPException):
    """An HTTP error raised by Taskforge itself, carrying its problem code."""

    code = "bad-request"


class UnsupportedMediaType(TaskforgeHTTPError):
    status_code = 415
    code = "unsupported-media-type"


class InvalidIdempotencyKey(TaskforgeHTTPError):
    status_code = 400
    code = "invalid-idempotency-key"


class EmptyBody(TaskforgeHTTPError):
    status_code = 400
    code = "empty-body"


class MalformedJson(TaskforgeHTTPError):
    status_code = 400
    code = "malformed-json"


class InvalidJob(TaskforgeHTTPError):
    status_code = 422
    code = "validation-failed"


class InvalidQuery(TaskforgeHTTPError):
    status_code = 422
    code = "validation-failed"


class InvalidCursor(TaskforgeHTTPError):
    status_code = 400
    code = "invalid-cursor"


def problem_body(
    status: int,
    code: str,
    detail: str | None = None,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> Problem:
    return Problem(
        type=f"urn:taskforge:problem:{code}",
        title=title or HTTPStatus(status).phrase,
        status=status,
        code=code,
        detail=detail,
        instance=instance,
        errors=errors,
    )


def problem_spec(description: str) -> ResponseSpec:
    """How an error answer appears in the OpenAPI schema."""
    return ResponseSpec(
        Problem, description=description, media_type=PROBLEM_JSON, generate_examples=False
    )


STORE_DOWN = {503: problem_spec("Job store unavailable; retry after Retry-After seconds")}


def problem(
    request: AnyRequest,
    status: int,
    code: str,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = problem_body(status, code, detail, title=title, instance=request.url.path, errors=errors)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_failed(request: AnyRequest, exc: ValidationException) -> Response[Problem]:
    errors = exc.extra if isinstance(exc.extra, list) else None
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    detail, key = first.get("message"), first.get("key")
    if detail and key and key != "data":
        detail = f"{key}: {detail}"
    title = "The request is not valid"
    return problem(request, 422, "validation-failed", detail, title=title, errors=errors)


def _http_error(request: AnyRequest, exc: HTTPException) -> Response[Problem]:
    if isinstance(exc, ValidationException) and exc.extra:
        return _validation_failed(request, exc)
    if isinstance(exc.__cause__, SerializationException):
        detail = f"the request body is not valid JSON: {exc.__cause__}"
        return problem(request, 400, "malformed-json", detail)
    status = exc.status_code
    code = exc.code if isinstance(exc, TaskforgeHTTPError) else _CODES_BY_STATUS.get(status)
    return problem(request, status, code or f"http-{status}", exc.detail, headers=exc.headers)


def _not_utf8(request: AnyRequest, exc: UnicodeDecodeError) -> Response[Problem]:
    detail = f"the request body is not valid UTF-8 JSON: {exc.reason} at byte {exc.start}"
    return problem(request, 400, "malformed-json", detail)


def _job_not_found(request: AnyRequest, exc: JobNotFound) -> Response[Problem]:
    return problem(request, 404, "job-not-found", str(exc), title="Job not found")


def _key_reused(request: AnyRequest, exc: IdempotencyKeyReused) -> Response[Problem]:
    return problem(request, 422, "idempotency-key-reused", str(exc), title="Idempotency-Key reused")


def _invalid_transition(request: AnyRequest, exc: InvalidTransition) -> Response[Problem]:
    detail = f"{exc}: a {exc.current} job cannot be changed that way"
    return problem(
        request, 409, "job-state-conflict", detail, title="Conflict with the job's status"
    )


def _no_failed_webhook(request: AnyRequest, exc: NoFailedWebhook) -> Response[Problem]:
    return problem(request, 409, "no-failed-webhook", str(exc), title="Nothing to redeliver")


def _busy(request: AnyRequest, exc: JobBusy) -> Response[Problem]:
    headers = {"Retry-After": "1"}
    return problem(request, 409, "job-busy", str(exc), headers=headers)


def _unstorable(request: AnyRequest, exc: UnstorablePayload) -> Response[Problem]:
    title = "The payload cannot be stored"
    return problem(request, 422, "payload-not-storable", str(exc), title=title)


# The names a client sends a filter under, where the query calls it otherwise.
_FILTER_NAMES = {"error_contains": "error"}


def _unsearchable(request: AnyRequest, exc: UnsearchableText) -> Response[Problem]:
    name = _FILTER_NAMES.get(exc.field, exc.field)
    detail = f"{name} {exc.reason}"
    title = "A filter cannot be searched for"
    errors = [{"key": name, "message": exc.reason}]
    return problem(request, 422, "unsearchable-filter", detail, title=title, errors=errors)


def _invalid_payload_filter(request: AnyRequest, exc: InvalidPayloadFilter) -> Response[Problem]:
    title = "A payload search is not in its form"
    errors = [{"key": exc.parameter, "message": str(exc)}]
    return problem(request, 400, "invalid-payload-filter", str(exc), title=title, errors=errors)


def _store_unavailable(request: AnyRequest, exc: StoreUnavailable) -> Response[Problem]:
    log.warning("answering 503: %s", exc)
    detail = "the job store is not reachable; try again later"
    headers = {"Retry-After": RETRY_AFTER_SECONDS}
    return problem(request, 503, "store-unavailable", detail, headers=headers)


def _unauthenticated(request: AnyRequest, exc: Unauthenticated) -> Response[Problem]:
    # RFC 6750: a request without credentials gets the bare challenge, a bad key the error.
    challenge = 'Bearer realm="taskforge"'
    if request.headers.get("authorization"):
        challenge += ', error="invalid_token"'
    headers = {"WWW-Authenticate": challenge}
    title = "An API key is needed"
    return problem(request, 401, "unauthenticated", str(exc), title=title, headers=headers)


def _forbidden(request: AnyRequest, exc: Forbidden) -> Response[Problem]:
    title = "The API key does not allow this"
    return problem(request, 403, "forbidden", str(exc), title=title)


def _rate_limited(request: AnyRequest, exc: SubmitRateExceeded) -> Response[Problem]:
    headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return problem(request, 429, "rate-limited", str(exc), headers=headers)


def _key_not_found(request: AnyRequest, exc: KeyNotFound) -> Response[Problem]:
    return problem(request, 404, "key-not-found", str(exc), title="API key not found")


def _key_name_taken(request: AnyRequest, exc: KeyNameTaken) -> Response[Problem]:
    return problem(request, 409, "key-name-taken", str(exc), title="API key name in use")


def _invalid_key_request(request: AnyRequest, exc: InvalidKeyRequest) -> Response[Problem]:
    return problem(request, 422, "validation-failed", str(exc), title="The request is not valid")


def _queue_not_found(request: AnyRequest, exc: QueueNotFound) -> Response[Problem]:
    return problem(request, 404, "queue-not-found", str(exc), title="Queue not found")


def _schedule_not_found(request: AnyRequest, exc: ScheduleNotFound) -> Response[Problem]:
    return problem(request, 404, "schedule-not-found", str(exc), title="Schedule not found")


def _schedule_name_taken(request: AnyRequest, exc: ScheduleNameTaken) -> Response[Problem]:
    return problem(request, 409, "schedule-name-taken", str(exc), title="Schedule name in use")


def _invalid_schedule(request: AnyRequest, exc: InvalidSchedule) -> Response[Problem]:
    return problem(request, 422, "validation-failed", str(exc), title="The request is not valid")


def _limit_not_found(request: AnyRequest, exc: LimitNotFound) -> Response[Problem]:
    return problem(request, 404, "limit-not-found", str(exc), title="No limit for this job type")


def _queue_limit_not_found(request: AnyRequest, exc: QueueLimitNotFound) -> Response[Problem]:
    return problem(request, 404, "limit-not-found", str(exc), title="No limit for this queue")


def _invalid_limit(request: AnyRequest, exc: InvalidLimit) -> Response[Problem]:
    return problem(request, 422, "validation-failed", str(exc), title="The request is not valid")


def _unexpected(request: AnyRequest, exc: Exception) -> Response[Problem]:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(request, 500, "internal-error")


exception_handlers: dict[type[Exception] | int, Any] = {
    HTTPException: _http_error,
    UnicodeDecodeError: _not_utf8,
    JobNotFound: _job_not_found,
    Unauthenticated: _unauthenticated,
    Forbidden: _forbidden,
    SubmitRateExceeded: _rate_limited,
    KeyNotFound: _key_not_found,
    KeyNameTaken: _key_name_taken,
    QueueNotFound: _queue_not_found,
    InvalidKeyRequest: _invalid_key_request,
    ScheduleNotFound: _schedule_not_found,
    ScheduleNameTaken: _schedule_name_taken,
    InvalidSchedule: _invalid_schedule,
    LimitNotFound: _limit_not_found,
    QueueLimitNotFound: _queue_limit_not_found,
    InvalidLimit: _invalid_limit,
    IdempotencyKeyReused: _key_reused,
    InvalidTransition: _invalid_transition,
    JobBusy: _busy,
    NoFailedWebhook: _no_failed_webhook,
    UnstorablePayload: _unstorable,
    UnsearchableText: _unsearchable,
    InvalidPayloadFilter: _invalid_payload_filter,
    StoreUnavailable: _store_unavailable,
    Exception: _unexpected,
}
