from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post

from taskforge_app.list_queues import ListQueues
from taskforge_app.pause_queue import PauseQueue, ResumeQueue
from taskforge_domain.access import Scope
from taskforge_entrypoints.presentation.queue_json import PauseOut, QueuesOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, problem_spec

AnyRequest = Request[Any, Any, Any]

_CHANGE_RESPONSES = {
    404: problem_spec("No such queue: not in QUEUES (and, to resume, not paused)"),
    **STORE_DOWN,
}


class QueuesController(Controller):
    """What waits and runs in each queue, and pausing one."""

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
