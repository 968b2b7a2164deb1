"""Every error the API answers, as an RFC 9457 problem document with a stable code."""

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException

from taskforge_app.ports import StoreUnavailable, UnstorablePayload
from taskforge_domain.errors import IdempotencyKeyReused, JobNotFound
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


class UnsupportedMediaType(HTTPException):
    status_code = 415


class InvalidIdempotencyKey(HTTPException):
    status_code = 400


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=f"urn:taskforge:problem:{code}",
        title=title,
        status=status,
        code=code,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_failed(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Problem]:
    errors = exc.extra if isinstance(exc.extra, list) else None
    first = errors[0] if errors else {}
    detail = first.get("message") if isinstance(first, dict) else None
    key = first.get("key") if isinstance(first, dict) else None
    if detail and key and key != "data":
        detail = f"{key}: {detail}"
    return problem(
        request, 422, "validation-failed", "The request is not valid", detail, errors=errors
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    if isinstance(exc, ValidationException) and exc.extra:
        return _validation_failed(request, exc)
    status = exc.status_code
    code = _CODES_BY_STATUS.get(status, f"http-{status}")
    detail = exc.detail
    if isinstance(exc.__cause__, SerializationException):
        code = "malformed-json"
        detail = f"the request body is not valid JSON: {exc.__cause__}"
    if isinstance(exc, InvalidIdempotencyKey):
        code = "invalid-idempotency-key"
    return problem(request, status, code, _title(status), detail, headers=exc.headers)


def _title(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def _job_not_found(request: Request[Any, Any, Any], exc: JobNotFound) -> Response[Problem]:
    return problem(request, 404, "job-not-found", "Job not found", str(exc))


def _key_reused(request: Request[Any, Any, Any], exc: IdempotencyKeyReused) -> Response[Problem]:
    return problem(request, 422, "idempotency-key-reused", "Idempotency-Key reused", str(exc))


def _unstorable(request: Request[Any, Any, Any], exc: UnstorablePayload) -> Response[Problem]:
    return problem(request, 422, "payload-not-storable", "The payload cannot be stored", str(exc))


def _store_unavailable(request: Request[Any, Any, Any], exc: StoreUnavailable) -> Response[Problem]:
    log.warning("answering 503: %s", exc)
    return problem(
        request,
        503,
        "store-unavailable",
        "Service Unavailable",
        "the job store is not reachable; try again later",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(request, 500, "internal-error", "Internal Server Error")


exception_handlers: dict[type[Exception] | int, Any] = {
    HTTPException: _http_error,
    JobNotFound: _job_not_found,
    IdempotencyKeyReused: _key_reused,
    StoreUnavailable: _store_unavailable,
    UnstorablePayload: _unstorable,
    Exception: _unexpected,
}

__all__ = ["PROBLEM_JSON", "MediaType", "exception_handlers", "problem"]
