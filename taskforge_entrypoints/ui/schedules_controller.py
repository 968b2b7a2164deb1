"""Schedules: each one's cadence, next fire times and last job; pause, resume, fire now."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from taskforge_app.manage_schedules import PauseSchedule, ReadSchedules, TriggerSchedule
from taskforge_domain.access import Scope
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.notices import Notice
from taskforge_entrypoints.ui.pages import back_to, page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]


class SchedulesController(Controller):
    path = "/ui/schedules"
    include_in_schema = False

    @get("/", opt=needs(Scope.READ))
    async def schedules(
        self, request: AnyRequest, read_schedules: FromDishka[ReadSchedules]
    ) -> Template:
        return page(
            request,
            "schedules.html.j2",
            schedules=await read_schedules.all(ui_caller(request)),
        )

    @post("/{name:str}/pause", opt=needs(Scope.OPERATE))
    async def pause(
        self, request: AnyRequest, name: str, pause_schedule: FromDishka[PauseSchedule]
    ) -> Redirect:
        await pause_schedule(ui_caller(request), name, True)
        return back_to("/ui/schedules", Notice.SCHEDULE_PAUSED)

    @post("/{name:str}/resume", opt=needs(Scope.OPERATE))
    async def resume(
        self, request: AnyRequest, name: str, pause_schedule: FromDishka[PauseSchedule]
    ) -> Redirect:
        await pause_schedule(ui_caller(request), name, False)
        return back_to("/ui/schedules", Notice.SCHEDULE_RESUMED)

    @post("/{name:str}/trigger", opt=needs(Scope.OPERATE))
    async def trigger(
        self, request: AnyRequest, name: str, trigger_schedule: FromDishka[TriggerSchedule]
    ) -> Redirect:
        await trigger_schedule(ui_caller(request), name)
        return back_to("/ui/schedules", Notice.SCHEDULE_FIRED)
