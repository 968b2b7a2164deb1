import math
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, post

from taskforge_app.ports import JobQuery
from taskforge_app.replay_dead_jobs import ReplayDeadJobs
from taskforge_domain.access import Scope
from taskforge_domain.job_limits import STORABLE_TEXT_PATTERN
from taskforge_entrypoints.presentation.replay_json import ReplayOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, problem_spec
from taskforge_entrypoints.rest.request_bodies import read_json
from taskforge_entrypoints.rest.schemas import JobType, MaxAttempts, Timestamp
from taskforge_entrypoints.rest.timestamps import in_utc

# A request paced for longer would outlive many clients' timeouts (and the 10 s schemathesis
# allows an answer); slower replays are `taskforge dlq replay --rate` or repeated requests.
MAX_REQUEST_SECONDS = 5

# The schema shows the NUL rule; JobQuery enforces it, for every way a query is made.
ErrorFilter = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=200, extra_json_schema={"pattern": STORABLE_TEXT_PATTERN}
    ),
]


class ReplayRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    job_type: JobType | None = None
    error: ErrorFilter | None = None
    dead_after: Timestamp | None = None
    dead_before: Timestamp | None = None
    dry_run: bool = False
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    rate_per_second: Annotated[float, msgspec.Meta(gt=0, le=10_000)] | None = None
    attempts: MaxAttempts | None = None


class DeadLettersController(Controller):
    path = "/v1/dead-letters"
    tags = ("operations",)

    @post(
        "/replay",
        status_code=200,
        opt=needs(Scope.OPERATE),
        summary="Replay the dead jobs a filter selects",
        description=(
            "Selects dead jobs by job_type, error text and when they died, up to `limit`, "
            "and replays each with a fresh attempt budget, at most `rate_per_second` per "
            "second. A request is paced for at most 5 s: with `rate_per_second` it takes at "
            "most 5 * rate_per_second jobs (at least one), and the next request takes the "
            "rest. With `dry_run` nothing changes and the answer lists what would be "
            "replayed."
        ),
        responses={
            400: problem_spec("Malformed JSON or empty body"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("Invalid filter"),
            **STORE_DOWN,
        },
    )
    async def replay(
        self, request: Request[Any, Any, Any], replay_dead_jobs: FromDishka[ReplayDeadJobs]
    ) -> ReplayOut:
        data = await read_json(request, ReplayRequest)
        limit = data.limit
        if data.rate_per_second is not None:
            limit = min(limit, max(1, math.floor(data.rate_per_second * MAX_REQUEST_SECONDS)))
        query = JobQuery(
            limit=limit,
            job_type=data.job_type,
            error_contains=data.error,
            updated_after=None if data.dead_after is None else in_utc(data.dead_after),
            updated_before=None if data.dead_before is None else in_utc(data.dead_before),
        )
        result = await replay_dead_jobs(
            query,
            dry_run=data.dry_run,
            limit=limit,
            rate=data.rate_per_second,
            attempts=data.attempts,
            caller=caller_of(request),
        )
        return ReplayOut.of(result, dry_run=data.dry_run)
