"""Queues: what waits and runs in each, and pausing or resuming one."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from taskforge_app.list_queues import ListQueues
from taskforge_app.pause_queue import PauseQueue, ResumeQueue
from taskforge_domain.access import Scope
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.notices import Notice
from taskforge_entrypoints.ui.pages import back_to, page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]


class QueuesController(Controller):
    path = "/ui/queues"
    include_in_schema = False

    @get("/", opt=needs(Scope.READ))
    async def queues(self, request: AnyRequest, list_queues: FromDishka[ListQueues]) -> Template:
        return page(
            request,
            "queues.html.j2",
            queues=await list_queues(ui_caller(request)),
        )

    @post("/{name:str}/pause", opt=needs(Scope.OPERATE))
    async def pause(
        self, request: AnyRequest, name: str, pause_queue: FromDishka[PauseQueue]
    ) -> Redirect:
        change = await pause_queue(name, ui_caller(request))
        return back_to(
            "/ui/queues", Notice.QUEUE_PAUSED if change.changed else Notice.QUEUE_WAS_PAUSED
        )

    @post("/{name:str}/resume", opt=needs(Scope.OPERATE))
    async def resume(
        self, request: AnyRequest, name: str, resume_queue: FromDishka[ResumeQueue]
    ) -> Redirect:
        change = await resume_queue(name, ui_caller(request))
        return back_to(
            "/ui/queues", Notice.QUEUE_RESUMED if change.changed else Notice.QUEUE_WAS_NOT_PAUSED
        )
