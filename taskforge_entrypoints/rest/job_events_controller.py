"""GET /v1/jobs/{id}/events: a job's changes as server-sent events (text/event-stream).

`event: job` carries the job as GET /v1/jobs/{id} answers it, with `id:` its revision;
`event: attempt` carries a finished attempt of the history, sent to a client that
resumed or fell behind (see taskforge_app.follow_job), with `id:` the revision the
client already had. The stream ends after the job is completed, dead or cancelled."""

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, Response, get
from litestar.background_tasks import BackgroundTask
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from taskforge_app.follow_job import FollowJob, JobEvent, JobSnapshot
from taskforge_domain.access import Scope
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.job_json import AttemptOut, JobOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, problem_spec

_REVISION = re.compile(r"[0-9]{1,18}")
_encode = msgspec.json.Encoder().encode

LAST_EVENT_ID = HeaderParameter(
    name="Last-Event-ID",
    required=False,
    description=(
        "The id of the last event received: the stream resumes after it (an id this "
        "server never sent starts the stream afresh)"
    ),
)


def resumed_after(last_event_id: str | None) -> int | None:
    """The revision to resume after; an id this server never sent starts afresh."""
    if last_event_id is None or not _REVISION.fullmatch(last_event_id.strip()):
        return None
    return int(last_event_id.strip())


class AttemptEvent(msgspec.Struct, frozen=True):
    job_id: UUID
    attempt: AttemptOut


class JobEventsController(Controller):
    path = "/v1/jobs"
    tags = ("jobs",)

    @get(
        "/{job_id:uuid}/events",
        opt=needs(Scope.READ),
        summary="Follow a job's changes (server-sent events)",
        description=(
            "The job first, then the job again after each change of its status or progress, "
            "until it is completed, dead or cancelled. Send Last-Event-ID to resume."
        ),
        responses={
            200: ResponseSpec(
                str,
                description="A text/event-stream of `job` and `attempt` events",
                media_type="text/event-stream",
                generate_examples=False,
            ),
            204: ResponseSpec(
                None,
                description=(
                    "Resumed after the last event of a finished job: nothing is left, and an "
                    "EventSource stops reconnecting"
                ),
            ),
            404: problem_spec("No job with this id"),
            **STORE_DOWN,
        },
    )
    async def follow(
        self,
        request: Request[Any, Any, Any],
        job_id: UUID,
        follow_job: FromDishka[FollowJob],
        settings: FromDishka[Settings],
        last_event_id: Annotated[str | None, LAST_EVENT_ID] = None,
    ) -> ServerSentEvent | Response[None]:
        following = await follow_job(job_id, resumed_after(last_event_id), caller_of(request))
        if following.nothing_left:
            following.close()
            return Response(None, status_code=204)
        heartbeat = settings.http_events_heartbeat.total_seconds()
        messages = _messages(following.events(heartbeat), settings.http_base_url)
        # Also released after the answer, for a client gone before the stream began.
        release = BackgroundTask(following.close)
        return ServerSentEvent(messages, headers={"X-Accel-Buffering": "no"}, background=release)


async def _messages(
    events: AsyncIterator[JobEvent | None], base_url: str
) -> AsyncIterator[ServerSentEventMessage]:
    async for event in events:
        yield _message(event, base_url)


def _message(event: JobEvent | None, base_url: str) -> ServerSentEventMessage:
    if event is None:
        return ServerSentEventMessage(data=None, comment="heartbeat")
    if isinstance(event, JobSnapshot):
        data = _encode(JobOut.of(event.job, base_url)).decode()
        return ServerSentEventMessage(data=data, event="job", id=str(event.revision))
    body = AttemptEvent(event.job_id, AttemptOut.of(event.attempt))
    return ServerSentEventMessage(
        data=_encode(body).decode(), event="attempt", id=str(event.revision)
    )
