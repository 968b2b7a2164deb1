"""Schedules: each one's cadence, next fire times and last job; pause, resume, fire now;
an admin's creating and deleting of them."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from taskforge_app.manage_schedules import (
    CreateSchedule,
    DeleteSchedule,
    PauseSchedule,
    ReadSchedules,
    TriggerSchedule,
)
from taskforge_app.ports import UnstorablePayload
from taskforge_domain.access import Scope
from taskforge_domain.schedule import CatchUp, InvalidSchedule, Overlap, ScheduleNameTaken
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.rest.errors import InvalidJob
from taskforge_entrypoints.ui.notices import Notice
from taskforge_entrypoints.ui.pages import back_to, page
from taskforge_entrypoints.ui.schedule_form import InvalidScheduleForm, ScheduleForm
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]


class SchedulesController(Controller):
    path = "/ui/schedules"
    include_in_schema = False

    @get("/", opt=needs(Scope.READ))
    async def schedules(
        self,
        request: AnyRequest,
        read_schedules: FromDishka[ReadSchedules],
        settings: FromDishka[Settings],
    ) -> Template:
        return await _schedules_page(request, read_schedules, settings, ScheduleForm.blank())

    @post("/", opt=needs(Scope.ADMIN))
    async def create(
        self,
        request: AnyRequest,
        create_schedule: FromDishka[CreateSchedule],
        read_schedules: FromDishka[ReadSchedules],
        settings: FromDishka[Settings],
    ) -> Redirect | Template:
        form = ScheduleForm.of(await request.form())
        try:
            body = form.body()
            await create_schedule(ui_caller(request), body.name, body.spec(settings.queues))
        except (InvalidScheduleForm, InvalidSchedule, UnstorablePayload) as exc:
            return await _schedules_page(request, read_schedules, settings, form, str(exc))
        except InvalidJob as exc:
            return await _schedules_page(request, read_schedules, settings, form, exc.detail)
        except ScheduleNameTaken as exc:
            error = f"{exc}: pick another name, or delete that schedule first"
            return await _schedules_page(request, read_schedules, settings, form, error, 409)
        return back_to("/ui/schedules", Notice.SCHEDULE_CREATED)

    @post("/{name:str}/delete", opt=needs(Scope.ADMIN))
    async def delete(
        self, request: AnyRequest, name: str, delete_schedule: FromDishka[DeleteSchedule]
    ) -> Redirect:
        await delete_schedule(ui_caller(request), name)
        return back_to("/ui/schedules", Notice.SCHEDULE_DELETED)

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


async def _schedules_page(
    request: AnyRequest,
    read_schedules: ReadSchedules,
    settings: Settings,
    form: ScheduleForm,
    error: str | None = None,
    status_code: int = 422,
) -> Template:
    return page(
        request,
        "schedules.html.j2",
        status_code=200 if error is None else status_code,
        schedules=await read_schedules.all(ui_caller(request)),
        form=form.values,
        form_error=error,
        queues=settings.queues,
        catch_ups=[c.value for c in CatchUp],
        overlaps=[o.value for o in Overlap],
    )
