from typing import Annotated, Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from taskforge_app.get_job import GetJob
from taskforge_app.submit_job import SubmitJob
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.job_json import JobOut
from taskforge_entrypoints.rest.errors import (
    EmptyBody,
    InvalidIdempotencyKey,
    UnsupportedMediaType,
    problem_spec,
)
from taskforge_entrypoints.rest.job_requests import new_job
from taskforge_entrypoints.rest.schemas import JobCreate

_MAX_KEY_LENGTH = 255


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    media_type, _ = request.content_type
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            detail=f"Content-Type must be application/json, got {media_type or 'none'!r}"
        )
    if not await request.body():
        raise EmptyBody(detail="the request body is empty; send a JSON object with a job_type")


def _checked_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > _MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise InvalidIdempotencyKey(
            detail=f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} printable ASCII characters"
        )
    return key


class JobsController(Controller):
    path = "/v1/jobs"
    tags = ("jobs",)

    @post(
        "/",
        status_code=202,
        before_request=require_json_body,
        summary="Submit a job",
        description=(
            "Stores the job and queues it for a worker. Answers 202 with the new job, or 200 "
            "with the first job when the Idempotency-Key was seen before."
        ),
        responses={
            200: ResponseSpec(JobOut, description="Replay of an earlier submission with this key"),
            400: problem_spec("Malformed JSON or Idempotency-Key"),
            413: problem_spec("Body larger than HTTP_MAX_BODY_BYTES"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("Invalid job, or Idempotency-Key reused for a different job"),
            503: problem_spec("Job store unavailable; retry after Retry-After seconds"),
        },
    )
    async def submit(
        self,
        data: JobCreate,
        submit_job: FromDishka[SubmitJob],
        settings: FromDishka[Settings],
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", required=False)
        ] = None,
    ) -> Response[JobOut]:
        request = new_job(data, _checked_key(idempotency_key), settings.queues)
        submitted = await submit_job(request)
        body = JobOut.of(submitted.job, settings.http_base_url)
        if submitted.created:
            return Response(body, status_code=202, headers={"Location": body.links.self})
        return Response(body, status_code=200, headers={"Idempotent-Replayed": "true"})

    @get(
        "/{job_id:uuid}",
        summary="Get a job",
        responses={
            404: problem_spec("No job with this id"),
            503: problem_spec("Job store unavailable; retry after Retry-After seconds"),
        },
    )
    async def get_job(
        self, job_id: UUID, get_job: FromDishka[GetJob], settings: FromDishka[Settings]
    ) -> JobOut:
        return JobOut.of(await get_job(job_id), settings.http_base_url)
