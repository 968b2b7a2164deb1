from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.params import Parameter

from taskforge_app.cancel_job import CancelJob
from taskforge_app.estimate_matching_jobs import EstimateMatchingJobs
from taskforge_app.list_jobs import GetAttempts, ListJobs
from taskforge_app.ports import JobQuery
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_domain.access import Scope
from taskforge_domain.job_limits import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IDEMPOTENCY_KEY_PATTERN,
    JOB_TYPE_MAX_LENGTH,
    JOB_TYPE_PATTERN,
    MAX_ATTEMPTS_LIMIT,
    QUEUE_NAME_PATTERN,
    STORABLE_TEXT_PATTERN,
)
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation import payload_filters
from taskforge_entrypoints.presentation.job_cursor import CURSOR_PATTERN
from taskforge_entrypoints.presentation.job_json import AttemptOut, JobOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, InvalidQuery, problem_spec
from taskforge_entrypoints.rest.job_pages import decode_cursor, next_link
from taskforge_entrypoints.rest.query_values import (
    STATUS,
    query_status,
    query_whole_number,
    refuse_repeated,
    whole_number,
)
from taskforge_entrypoints.rest.schemas import JobEstimateOut, JobPage
from taskforge_entrypoints.rest.timestamps import query_timestamp

AnyRequest = Request[Any, Any, Any]
T = TypeVar("T")

MAX_PAGE = 500
DEFAULT_PAGE = 50

JOB_TYPE_FILTER = Parameter(min_length=1, max_length=JOB_TYPE_MAX_LENGTH, pattern=JOB_TYPE_PATTERN)
KEY_FILTER = Parameter(
    min_length=1, max_length=IDEMPOTENCY_KEY_MAX_LENGTH, pattern=IDEMPOTENCY_KEY_PATTERN
)
# The schema shows the NUL rule; JobQuery enforces it, for every way a query is made.
ERROR_FILTER = Parameter(
    min_length=1, max_length=200, schema_extra={"pattern": STORABLE_TEXT_PATTERN}
)
# decode_cursor applies the pattern, answering 400 invalid-cursor as before.
CURSOR = Parameter(schema_extra={"pattern": CURSOR_PATTERN})
# payload_filters reads both, answering 400 invalid-payload-filter; the document states
# payload_contains as the JSON object it is (openapi_document).
PAYLOAD_EQUALS = Parameter(
    schema_extra={
        "maxLength": payload_filters.PAYLOAD_EQUALS_MAX_LENGTH,
        "pattern": payload_filters.PAYLOAD_EQUALS_PATTERN,
    },
    description="PATH=VALUE, like customer.id=42: the value at the path is the string VALUE "
    "or the number, true, false or null it spells",
)
PAYLOAD_CONTAINS = Parameter(
    description='A JSON object the payload contains, like {"customer":{"id":42}}'
)
TIMESTAMP = Parameter(
    schema_extra={"format": "date-time"}, description="RFC 3339, like 2026-12-01T09:00:00Z"
)

_NOT_FOUND = {404: problem_spec("No job with this id")}
_CONFLICT = {409: problem_spec("The job's status does not allow it")}
_INVALID = {422: problem_spec("A query parameter is not valid")}
_REPLAY_RESPONSES = {**_NOT_FOUND, **_CONFLICT, **_INVALID, **STORE_DOWN}
_REPLAY_DESCRIPTION = (
    "Queues the dead job again with a fresh budget of `attempts` (default "
    "SERVICE_MAX_ATTEMPTS); its attempt history and numbering stay. Not dead: 409."
)


def _read(parse: Callable[[str], T], text: str | None) -> T | None:
    return None if text is None else parse(text)


def _job_query(
    queues: tuple[str, ...],
    *,
    limit: int,
    before: tuple[datetime, UUID] | None,
    status: str | None,
    job_type: str | None,
    queue: str | None,
    idempotency_key: str | None,
    created_after: str | None,
    created_before: str | None,
    updated_after: str | None,
    updated_before: str | None,
    error: str | None,
    payload_equals: str | None,
    payload_contains: str | None,
) -> JobQuery:
    """The query of GET /v1/jobs's filters, read from their text."""
    if queue is not None and queue not in queues:
        raise InvalidQuery(detail=f"queue must be one of {', '.join(queues)}")
    return JobQuery(
        limit=limit,
        status=query_status(status),
        job_type=job_type,
        queue=queue,
        idempotency_key=idempotency_key,
        created_after=query_timestamp("created_after", created_after),
        created_before=query_timestamp("created_before", created_before),
        updated_after=query_timestamp("updated_after", updated_after),
        updated_before=query_timestamp("updated_before", updated_before),
        error_contains=error,
        payload_equals=_read(payload_filters.payload_equals, payload_equals),
        payload_contains=_read(payload_filters.payload_contains, payload_contains),
        before=before,
    )


class JobOperationsController(Controller):
    """What operators do with jobs: find them, cancel them, replay dead ones."""

    path = "/v1/jobs"
    tags = ("operations",)

    @get(
        "/",
        before_request=refuse_repeated,
        opt=needs(Scope.READ),
        summary="List jobs, newest first",
        description=(
            "Filters combine; `error` matches text in last_error (best with status=dead); "
            "`updated_after`/`updated_before` bound the last change (for dead jobs: when "
            "they died); `payload_equals` and `payload_contains` search the payload. "
            "Follow `next` for the following page."
        ),
        responses={
            400: problem_spec("Malformed cursor, or a payload search not in its form"),
            **_INVALID,
            **STORE_DOWN,
        },
    )
    async def list_jobs(
        self,
        request: AnyRequest,
        list_jobs: FromDishka[ListJobs],
        settings: FromDishka[Settings],
        status: Annotated[str | None, STATUS] = None,
        job_type: Annotated[str | None, JOB_TYPE_FILTER] = None,
        queue: Annotated[str | None, Parameter(pattern=QUEUE_NAME_PATTERN)] = None,
        idempotency_key: Annotated[str | None, KEY_FILTER] = None,
        created_after: Annotated[str | None, TIMESTAMP] = None,
        created_before: Annotated[str | None, TIMESTAMP] = None,
        updated_after: Annotated[str | None, TIMESTAMP] = None,
        updated_before: Annotated[str | None, TIMESTAMP] = None,
        error: Annotated[str | None, ERROR_FILTER] = None,
        payload_equals: Annotated[str | None, PAYLOAD_EQUALS] = None,
        payload_contains: Annotated[str | None, PAYLOAD_CONTAINS] = None,
        limit: Annotated[str | None, whole_number(1, MAX_PAGE, default=DEFAULT_PAGE)] = None,
        cursor: Annotated[str | None, CURSOR] = None,
    ) -> JobPage:
        query = _job_query(
            settings.queues,
            limit=query_whole_number("limit", limit, 1, MAX_PAGE) or DEFAULT_PAGE,
            before=None if cursor is None else decode_cursor(cursor),
            status=status,
            job_type=job_type,
            queue=queue,
            idempotency_key=idempotency_key,
            created_after=created_after,
            created_before=created_before,
            updated_after=updated_after,
            updated_before=updated_before,
            error=error,
            payload_equals=payload_equals,
            payload_contains=payload_contains,
        )
        jobs = await list_jobs(query, caller_of(request))
        return JobPage(
            jobs=[JobOut.of(job, settings.http_base_url) for job in jobs],
            next=next_link(settings.http_base_url, query, jobs),
        )

    @get(
        "/estimate",
        before_request=refuse_repeated,
        opt=needs(Scope.READ),
        summary="About how many jobs the filters of GET /v1/jobs match",
        description=(
            "The filters of `GET /v1/jobs`, answered with PostgreSQL's estimate of how many "
            "jobs match, without counting them (a count of a common filter would read "
            'every matching job): for showing "about N jobs", never for deciding.'
        ),
        responses={
            400: problem_spec("A payload search not in its form"),
            **_INVALID,
            **STORE_DOWN,
        },
    )
    async def estimate_jobs(
        self,
        request: AnyRequest,
        estimate: FromDishka[EstimateMatchingJobs],
        settings: FromDishka[Settings],
        status: Annotated[str | None, STATUS] = None,
        job_type: Annotated[str | None, JOB_TYPE_FILTER] = None,
        queue: Annotated[str | None, Parameter(pattern=QUEUE_NAME_PATTERN)] = None,
        idempotency_key: Annotated[str | None, KEY_FILTER] = None,
        created_after: Annotated[str | None, TIMESTAMP] = None,
        created_before: Annotated[str | None, TIMESTAMP] = None,
        updated_after: Annotated[str | None, TIMESTAMP] = None,
        updated_before: Annotated[str | None, TIMESTAMP] = None,
        error: Annotated[str | None, ERROR_FILTER] = None,
        payload_equals: Annotated[str | None, PAYLOAD_EQUALS] = None,
        payload_contains: Annotated[str | None, PAYLOAD_CONTAINS] = None,
    ) -> JobEstimateOut:
        query = _job_query(
            settings.queues,
            limit=1,
            before=None,
            status=status,
            job_type=job_type,
            queue=queue,
            idempotency_key=idempotency_key,
            created_after=created_after,
            created_before=created_before,
            updated_after=updated_after,
            updated_before=updated_before,
            error=error,
            payload_equals=payload_equals,
            payload_contains=payload_contains,
        )
        found = await estimate(query, caller_of(request))
        return JobEstimateOut(estimated_count=found.count)

    @post(
        "/{job_id:uuid}/cancel",
        status_code=200,
        opt=needs(Scope.OPERATE),
        summary="Cancel a job",
        description=(
            "A waiting job (pending, scheduled, queued, retrying) becomes cancelled and never "
            "runs. A running job keeps running until its worker's next lease renewal cancels "
            "the handler; that attempt then ends cancelled. A finished job answers 409."
        ),
        responses={**_NOT_FOUND, **_CONFLICT, **STORE_DOWN},
    )
    async def cancel(
        self,
        request: AnyRequest,
        job_id: UUID,
        cancel_job: FromDishka[CancelJob],
        settings: FromDishka[Settings],
    ) -> JobOut:
        return JobOut.of(await cancel_job(job_id, caller_of(request)), settings.http_base_url)

    @post(
        "/{job_id:uuid}/replay",
        before_request=refuse_repeated,
        status_code=200,
        opt=needs(Scope.OPERATE),
        summary="Replay a dead job",
        description=_REPLAY_DESCRIPTION,
        responses=_REPLAY_RESPONSES,
    )
    async def replay(
        self,
        request: AnyRequest,
        job_id: UUID,
        replay_dead_job: FromDishka[ReplayDeadJob],
        settings: FromDishka[Settings],
        attempts: Annotated[str | None, whole_number(1, MAX_ATTEMPTS_LIMIT)] = None,
    ) -> JobOut:
        budget = query_whole_number("attempts", attempts, 1, MAX_ATTEMPTS_LIMIT)
        replayed = await replay_dead_job(job_id, budget, caller_of(request))
        return JobOut.of(replayed, settings.http_base_url)

    # The route's first name: `retrying` is the automatic retry, so the operator's action is
    # now called a replay. Clients written against /retry keep working, and so does a client
    # generated from the old schema, whose method name is this operationId.
    replay_by_old_name = post(
        "/{job_id:uuid}/retry",
        before_request=refuse_repeated,
        operation_id="V1JobsJobIdRetryRetry",
        status_code=200,
        opt=needs(Scope.OPERATE),
        summary="Replay a dead job (the old path of /replay)",
        description=_REPLAY_DESCRIPTION + " Deprecated: the same as `/replay`.",
        responses=_REPLAY_RESPONSES,
        deprecated=True,
    )(replay.fn)

    @get(
        "/{job_id:uuid}/attempts",
        opt=needs(Scope.READ),
        summary="A job's finished attempts",
        responses={**_NOT_FOUND, **STORE_DOWN},
    )
    async def attempts(
        self, request: AnyRequest, job_id: UUID, get_attempts: FromDishka[GetAttempts]
    ) -> list[AttemptOut]:
        attempts = await get_attempts(job_id, caller_of(request))
        return [AttemptOut.of(attempt) for attempt in attempts]
