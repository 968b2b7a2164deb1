from datetime import datetime
from typing import Annotated
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, get, post
from litestar.params import Parameter

from taskforge_app.cancel_job import CancelJob
from taskforge_app.list_jobs import GetAttempts, ListJobs
from taskforge_app.ports import JobQuery
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_domain.job_limits import MAX_ATTEMPTS_LIMIT, holds_nul
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.job_cursor import encode_cursor
from taskforge_entrypoints.presentation.job_json import AttemptOut, JobOut
from taskforge_entrypoints.rest.errors import InvalidQuery, problem_spec
from taskforge_entrypoints.rest.job_pages import decode_cursor, next_link
from taskforge_entrypoints.rest.schemas import JobPage

MAX_PAGE = 500

_NOT_FOUND = {404: problem_spec("No job with this id")}
_CONFLICT = {409: problem_spec("The job's status does not allow it")}
_INVALID = {422: problem_spec("A query parameter is not valid")}
_REPLAY_RESPONSES = {**_NOT_FOUND, **_CONFLICT, **_INVALID}
_REPLAY_DESCRIPTION = (
    "Queues the dead job again with a fresh budget of `attempts` (default "
    "SERVICE_MAX_ATTEMPTS); its attempt history and numbering stay. Not dead: 409."
)


class JobOperationsController(Controller):
    """What operators do with jobs: find them, cancel them, replay dead ones."""

    path = "/v1/jobs"
    tags = ("operations",)

    @get(
        "/",
        summary="List jobs, newest first",
        description=(
            "Filters combine; `error` matches text in last_error (best with status=dead); "
            "`updated_after`/`updated_before` bound the last change (for dead jobs: when "
            "they died). Follow `next` for the following page."
        ),
        responses={400: problem_spec("Malformed cursor"), **_INVALID},
    )
    async def list_jobs(
        self,
        list_jobs: FromDishka[ListJobs],
        settings: FromDishka[Settings],
        status: JobStatus | None = None,
        job_type: str | None = None,
        queue: str | None = None,
        idempotency_key: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        error: Annotated[str | None, Parameter(min_length=1, max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
        cursor: str | None = None,
    ) -> JobPage:
        for name, text in (
            ("job_type", job_type),
            ("queue", queue),
            ("idempotency_key", idempotency_key),
            ("error", error),
        ):
            if text is not None and holds_nul(text):
                raise InvalidQuery(detail=f"{name} cannot contain the NUL character")
        query = JobQuery(
            limit=limit,
            status=status,
            job_type=job_type,
            queue=queue,
            idempotency_key=idempotency_key,
            created_after=created_after,
            created_before=created_before,
            error_contains=error,
            updated_after=updated_after,
            updated_before=updated_before,
            before=decode_cursor(cursor) if cursor else None,
        )
        jobs = await list_jobs(query)
        filters = {
            "status": status.value if status else None,
            "job_type": job_type,
            "queue": queue,
            "idempotency_key": idempotency_key,
            "created_after": created_after,
            "created_before": created_before,
            "updated_after": updated_after,
            "updated_before": updated_before,
            "error": error,
            "limit": limit,
        }
        last = jobs[-1] if len(jobs) == limit else None
        return JobPage(
            jobs=[JobOut.of(job, settings.http_base_url) for job in jobs],
            next=next_link(settings.http_base_url, filters, encode_cursor(last.created_at, last.id))
            if last
            else None,
        )

    @post(
        "/{job_id:uuid}/cancel",
        status_code=200,
        summary="Cancel a job",
        description=(
            "A waiting job (pending, scheduled, queued, retrying) becomes cancelled and never "
            "runs. A running job keeps running until its worker's next lease renewal cancels "
            "the handler; that attempt then ends cancelled. A finished job answers 409."
        ),
        responses={**_NOT_FOUND, **_CONFLICT},
    )
    async def cancel(
        self, job_id: UUID, cancel_job: FromDishka[CancelJob], settings: FromDishka[Settings]
    ) -> JobOut:
        return JobOut.of(await cancel_job(job_id), settings.http_base_url)

    @post(
        "/{job_id:uuid}/replay",
        status_code=200,
        summary="Replay a dead job",
        description=_REPLAY_DESCRIPTION,
        responses=_REPLAY_RESPONSES,
    )
    async def replay(
        self,
        job_id: UUID,
        replay_dead_job: FromDishka[ReplayDeadJob],
        settings: FromDishka[Settings],
        attempts: Annotated[int | None, Parameter(ge=1, le=MAX_ATTEMPTS_LIMIT)] = None,
    ) -> JobOut:
        return JobOut.of(await replay_dead_job(job_id, attempts), settings.http_base_url)

    # The route's first name: `retrying` is the automatic retry, so the operator's action is
    # now called a replay. Clients written against /retry keep working, and so does a client
    # generated from the old schema, whose method name is this operationId.
    replay_by_old_name = post(
        "/{job_id:uuid}/retry",
        operation_id="V1JobsJobIdRetryRetry",
        status_code=200,
        summary="Replay a dead job (the old path of /replay)",
        description=_REPLAY_DESCRIPTION + " Deprecated: the same as `/replay`.",
        responses=_REPLAY_RESPONSES,
        deprecated=True,
    )(replay.fn)

    @get("/{job_id:uuid}/attempts", summary="A job's finished attempts", responses=_NOT_FOUND)
    async def attempts(
        self, job_id: UUID, get_attempts: FromDishka[GetAttempts]
    ) -> list[AttemptOut]:
        return [AttemptOut.of(attempt) for attempt in await get_attempts(job_id)]
