from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, HttpMethod, Request, Response, delete, get, put, route
from litestar.params import Parameter

from taskforge_app.manage_limits import ListLimits, RemoveLimit, SetLimit
from taskforge_app.manage_queue_limits import ListQueueLimits
from taskforge_domain.access import Scope
from taskforge_domain.job_limits import JOB_TYPE_MAX_LENGTH, JOB_TYPE_PATTERN
from taskforge_domain.job_type_limit import (
    MAX_CONCURRENCY,
    MAX_RATE,
    JobTypeLimit,
    Rate,
    RatePeriod,
)
from taskforge_entrypoints.presentation.limit_json import LimitOut, LimitsOut, QueueLimitOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, problem_spec
from taskforge_entrypoints.rest.jobs_controller import answer_options
from taskforge_entrypoints.rest.request_bodies import read_json

AnyRequest = Request[Any, Any, Any]
_ADMIN = needs(Scope.ADMIN)
JobType = Annotated[
    str, Parameter(min_length=1, max_length=JOB_TYPE_MAX_LENGTH, pattern=JOB_TYPE_PATTERN)
]


class RateIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    starts: Annotated[int, msgspec.Meta(ge=1, le=MAX_RATE)]
    per: RatePeriod


class LimitPut(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=MAX_CONCURRENCY)] | None = None
    rate: RateIn | None = None


class LimitsController(Controller):
    """Global limits per job type: what every worker's claims honour."""

    path = "/v1/limits"
    tags = ("limits",)

    @get(
        "/",
        opt=needs(Scope.READ),
        summary="Every job type's limit and every queue's, with their slots in use",
        responses=STORE_DOWN,
    )
    async def list_limits(
        self,
        list_limits: FromDishka[ListLimits],
        list_queue_limits: FromDishka[ListQueueLimits],
    ) -> LimitsOut:
        return LimitsOut(
            limits=[LimitOut.of(stored) for stored in await list_limits()],
            queue_limits=[QueueLimitOut.of(stored) for stored in await list_queue_limits()],
        )

    @put(
        "/{job_type:str}",
        opt=_ADMIN,
        status_code=200,
        summary="Set a job type's limit, replacing any",
        description=(
            "`concurrency`: at most this many attempts of the type run at once across all "
            "workers. `rate`: at most `starts` attempts start per `per` (second, minute or "
            "hour), a token bucket that holds one period's starts. Give either or both. A "
            "job held back waits `scheduled`, its attempts untouched, until an attempt of "
            "its type ends or the rate's next start is due."
        ),
        responses={
            400: problem_spec("Malformed JSON or empty body"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("Invalid job type, concurrency or rate, or neither given"),
            **STORE_DOWN,
        },
    )
    async def set_limit(
        self, request: AnyRequest, job_type: JobType, set_limit: FromDishka[SetLimit]
    ) -> LimitOut:
        data = await read_json(request, LimitPut)
        rate = None if data.rate is None else Rate(data.rate.starts, data.rate.per)
        limit = JobTypeLimit(job_type, data.concurrency, rate)
        return LimitOut.of(await set_limit(caller_of(request), limit))

    @delete(
        "/{job_type:str}",
        opt=_ADMIN,
        status_code=200,
        summary="Remove a job type's limit: its jobs start freely again",
        responses={
            404: problem_spec("The job type has no limit"),
            422: problem_spec("A job type out of its pattern"),
            **STORE_DOWN,
        },
    )
    async def remove_limit(
        self, request: AnyRequest, job_type: JobType, remove_limit: FromDishka[RemoveLimit]
    ) -> LimitOut:
        return LimitOut.of(await remove_limit(caller_of(request), job_type))

    # Litestar's own OPTIONS answer on this path lists only one of its two methods.
    @route(
        "/{job_type:str}",
        http_method=HttpMethod.OPTIONS,
        include_in_schema=False,
        opt=needs(Scope.READ),
    )
    async def allowed_methods(self, request: AnyRequest, job_type: str) -> Response[None]:
        return answer_options(request)
