from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, HttpMethod, Request, Response, delete, get, post, put, route

from taskforge_app.list_queues import ListQueues
from taskforge_app.manage_queue_limits import RemoveQueueLimit, SetQueueLimit
from taskforge_app.pause_queue import PauseQueue, ResumeQueue
from taskforge_domain.access import Scope
from taskforge_domain.job_type_limit import Rate
from taskforge_domain.queue_limit import QueueLimit
from taskforge_entrypoints.presentation.limit_json import QueueLimitOut
from taskforge_entrypoints.presentation.queue_json import PauseOut, QueuesOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, problem_spec
from taskforge_entrypoints.rest.jobs_controller import answer_options
from taskforge_entrypoints.rest.limits_controller import LimitPut
from taskforge_entrypoints.rest.request_bodies import read_json

AnyRequest = Request[Any, Any, Any]

_CHANGE_RESPONSES = {
    404: problem_spec("No such queue: not in QUEUES (and, to resume, not paused)"),
    **STORE_DOWN,
}


class QueuesController(Controller):
    """What waits and runs in each queue, pausing one, and limiting one."""

    path = "/v1/queues"
    tags = ("queues",)

    @get(
        "/",
        opt=needs(Scope.READ),
        summary="Every queue: depth, running, oldest ready job, pause, and worker weights",
        description=(
            "`depth` counts the pending and queued jobs, `oldest_ready_age_seconds` is now "
            "minus the run_at of the oldest of them; `weights` groups the live workers that "
            "serve the queue by their WORKER_QUEUES."
        ),
        responses=STORE_DOWN,
    )
    async def list_queues(
        self, request: AnyRequest, list_queues: FromDishka[ListQueues]
    ) -> QueuesOut:
        return QueuesOut.of(await list_queues(caller_of(request)))

    @post(
        "/{name:str}/pause",
        status_code=200,
        opt=needs(Scope.OPERATE),
        summary="Pause a queue: it keeps taking jobs, and workers stop starting them",
        description=(
            "Within a second no worker starts a job of the queue; attempts already running "
            "finish. Stored in PostgreSQL, so it holds across restarts and Redis data loss. "
            "Pausing a paused queue changes nothing (`changed`: false)."
        ),
        responses=_CHANGE_RESPONSES,
    )
    async def pause(
        self, request: AnyRequest, name: str, pause_queue: FromDishka[PauseQueue]
    ) -> PauseOut:
        return PauseOut.of(await pause_queue(name, caller_of(request)))

    @post(
        "/{name:str}/resume",
        status_code=200,
        opt=needs(Scope.OPERATE),
        summary="Resume a paused queue: workers start its jobs again",
        responses=_CHANGE_RESPONSES,
    )
    async def resume(
        self, request: AnyRequest, name: str, resume_queue: FromDishka[ResumeQueue]
    ) -> PauseOut:
        return PauseOut.of(await resume_queue(name, caller_of(request)))

    @put(
        "/{name:str}/limit",
        opt=needs(Scope.ADMIN),
        status_code=200,
        summary="Set a queue's limit, replacing any",
        description=(
            "The same `concurrency` and `rate` as a job type's limit, over every job of the "
            "queue whatever its type, across all workers. A job starts only when it fits "
            "both its type's limit and its queue's; one held back waits `scheduled`, its "
            "attempts untouched, until an attempt of its type or queue ends or the rate's "
            "next start is due. Listed by `GET /v1/limits` under `queue_limits`."
        ),
        responses={
            400: problem_spec("Malformed JSON or empty body"),
            404: problem_spec("No such queue: not in QUEUES"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("Invalid concurrency or rate, or neither given"),
            **STORE_DOWN,
        },
    )
    async def set_limit(
        self, request: AnyRequest, name: str, set_queue_limit: FromDishka[SetQueueLimit]
    ) -> QueueLimitOut:
        data = await read_json(request, LimitPut)
        rate = None if data.rate is None else Rate(data.rate.starts, data.rate.per)
        limit = QueueLimit(name, data.concurrency, rate)
        return QueueLimitOut.of(await set_queue_limit(caller_of(request), limit))

    @delete(
        "/{name:str}/limit",
        opt=needs(Scope.ADMIN),
        status_code=200,
        summary="Remove a queue's limit: its jobs start as their types' limits let them",
        responses={404: problem_spec("The queue has no limit"), **STORE_DOWN},
    )
    async def remove_limit(
        self, request: AnyRequest, name: str, remove_queue_limit: FromDishka[RemoveQueueLimit]
    ) -> QueueLimitOut:
        return QueueLimitOut.of(await remove_queue_limit(caller_of(request), name))

    # Litestar's own OPTIONS answer on this path lists only one of its two methods.
    @route(
        "/{name:str}/limit",
        http_method=HttpMethod.OPTIONS,
        include_in_schema=False,
        opt=needs(Scope.READ),
    )
    async def limit_methods(self, request: AnyRequest, name: str) -> Response[None]:
        return answer_options(request)
