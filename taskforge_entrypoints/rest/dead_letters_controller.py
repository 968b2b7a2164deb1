from datetime import datetime
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, post

from taskforge_app.ports import JobQuery
from taskforge_app.replay_dead_jobs import ReplayDeadJobs
from taskforge_entrypoints.presentation.replay_json import ReplayOut
from taskforge_entrypoints.rest.errors import InvalidJob, problem_spec
from taskforge_entrypoints.rest.jobs_controller import require_json_body
from taskforge_entrypoints.rest.schemas import JobType, MaxAttempts

# A request paced for longer than this would outlive clients' and proxies' timeouts.
MAX_REQUEST_SECONDS = 60


class ReplayRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    job_type: JobType | None = None
    error: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    dead_after: datetime | None = None
    dead_before: datetime | None = None
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
        before_request=require_json_body,
        summary="Replay the dead jobs a filter selects",
        description=(
            "Selects dead jobs by job_type, error text and when they died, up to `limit`, "
            "and replays each with a fresh attempt budget, at most `rate_per_second` per "
            "second (a request may be paced for at most 60 s). With `dry_run` nothing "
            "changes and the answer lists what would be replayed."
        ),
        responses={
            400: problem_spec("Malformed JSON or empty body"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("Invalid filter"),
            503: problem_spec("Job store unavailable"),
        },
    )
    async def replay(
        self, data: ReplayRequest, replay_dead_jobs: FromDishka[ReplayDeadJobs]
    ) -> ReplayOut:
        if data.rate_per_second and data.limit / data.rate_per_second > MAX_REQUEST_SECONDS:
            raise InvalidJob(
                detail=(
                    f"limit / rate_per_second may take at most {MAX_REQUEST_SECONDS} s in one "
                    "request; replay slower with `taskforge dlq replay --rate`"
                )
            )
        query = JobQuery(
            limit=data.limit,
            job_type=data.job_type,
            error_contains=data.error,
            updated_after=data.dead_after,
            updated_before=data.dead_before,
        )
        result = await replay_dead_jobs(
            query,
            dry_run=data.dry_run,
            limit=data.limit,
            rate=data.rate_per_second,
            attempts=data.attempts,
        )
        return ReplayOut.of(result, dry_run=data.dry_run)
