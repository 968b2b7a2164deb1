from datetime import timedelta
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, HttpMethod, Request, Response, delete, get, post, put, route

from taskforge_app.manage_schedules import (
    CreateSchedule,
    DeleteSchedule,
    PauseSchedule,
    ReadSchedules,
    ReplaceSchedule,
    TriggerSchedule,
)
from taskforge_domain.access import Scope
from taskforge_domain.schedule import (
    CRON_PATTERN,
    EVERY_PATTERN,
    SCHEDULE_NAME_PATTERN,
    CatchUp,
    Overlap,
    ScheduleSpec,
    parse_every,
)
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.job_json import JobOut
from taskforge_entrypoints.presentation.schedule_json import ScheduleOut, SchedulesOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, InvalidJob, problem_spec
from taskforge_entrypoints.rest.request_bodies import read_json
from taskforge_entrypoints.rest.schemas import JobType, MaxAttempts, Payload, QueueName

AnyRequest = Request[Any, Any, Any]
_ADMIN = needs(Scope.ADMIN)
_OPERATE = needs(Scope.OPERATE)
_READ = needs(Scope.READ)

ScheduleName = Annotated[str, msgspec.Meta(pattern=SCHEDULE_NAME_PATTERN)]
Cron = Annotated[
    str,
    msgspec.Meta(
        pattern=CRON_PATTERN,
        description="Five fields (minute hour day month weekday), or six with seconds first.",
        examples=["*/5 * * * *"],
    ),
]
Every = Annotated[
    str,
    msgspec.Meta(
        pattern=EVERY_PATTERN,
        description="A Go duration of whole seconds, at least 1s: 1s, 90s, 5m, 1h30m.",
        examples=["1m"],
    ),
]
Timezone = Annotated[str, msgspec.Meta(description="An IANA time zone; cron ticks fall in it.")]

_BODY_ERRORS = {
    400: problem_spec("Malformed JSON or empty body"),
    415: problem_spec("Body is not JSON"),
    422: problem_spec("Invalid name, cadence, time zone, job or queue"),
}


def answer_options(request: AnyRequest) -> Response[None]:
    """Allow lists every method of the path. The path template has no parameter types
    ({name}), so the route is found by its format, not in the method map ({name:str})."""
    template = request.scope["path_template"]
    methods = next(r.methods for r in request.app.routes if r.path_format == template)
    return Response(None, status_code=204, headers={"Allow": ", ".join(sorted(methods))})


class ScheduleFields(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Give cron or every, exactly one."""

    cron: Cron | msgspec.UnsetType = msgspec.UNSET
    every: Every | msgspec.UnsetType = msgspec.UNSET
    timezone: Timezone = "UTC"
    job_type: JobType
    payload: Payload = msgspec.field(default_factory=dict)
    queue: QueueName = "normal"
    max_attempts: MaxAttempts | None = None
    catch_up: CatchUp = CatchUp.LATEST
    overlap: Overlap = Overlap.ALLOW

    def spec(self, queues: tuple[str, ...]) -> ScheduleSpec:
        if self.queue not in queues:
            raise InvalidJob(detail=f"queue must be one of {', '.join(queues)}")
        every: timedelta | None = None
        if isinstance(self.every, str):
            every = parse_every(self.every)
        return ScheduleSpec(
            job_type=self.job_type,
            payload=self.payload,
            queue=self.queue,
            cron=self.cron if isinstance(self.cron, str) else None,
            every=every,
            timezone=self.timezone,
            max_attempts=self.max_attempts,
            catch_up=self.catch_up,
            overlap=self.overlap,
        )


class ScheduleCreate(ScheduleFields, forbid_unknown_fields=True, kw_only=True):
    name: ScheduleName


class ScheduleReplace(ScheduleFields, forbid_unknown_fields=True, kw_only=True):
    pass


class SchedulesController(Controller):
    path = "/v1/schedules"
    tags = ("schedules",)

    @get("/", opt=_READ, summary="Every schedule, with its next fire times", responses=STORE_DOWN)
    async def list_schedules(
        self, request: AnyRequest, read: FromDishka[ReadSchedules]
    ) -> SchedulesOut:
        views = await read.all(caller_of(request))
        return SchedulesOut(schedules=[ScheduleOut.of(view) for view in views])

    @post(
        "/",
        opt=_ADMIN,
        status_code=201,
        summary="Create a schedule",
        description=(
            "Each tick submits one job, with the idempotency key "
            "`schedule:<name>:<tick>`: exactly once however many schedulers run. "
            "`catch_up` says what happens to ticks missed while no scheduler ran; "
            "`overlap: skip` skips a tick while the previous tick's job is unfinished."
        ),
        responses={
            **_BODY_ERRORS,
            409: problem_spec("A schedule of this name exists"),
            **STORE_DOWN,
        },
    )
    async def create_schedule(
        self,
        request: AnyRequest,
        create: FromDishka[CreateSchedule],
        read: FromDishka[ReadSchedules],
        settings: FromDishka[Settings],
    ) -> ScheduleOut:
        data = await read_json(request, ScheduleCreate)
        created = await create(caller_of(request), data.name, data.spec(settings.queues))
        return ScheduleOut.of(await read.one(created.name))

    @get(
        "/{name:str}",
        opt=_READ,
        summary="A schedule, with its next fire times and last job",
        responses={404: problem_spec("No schedule of this name"), **STORE_DOWN},
    )
    async def get_schedule(
        self, request: AnyRequest, name: str, read: FromDishka[ReadSchedules]
    ) -> ScheduleOut:
        return ScheduleOut.of(await read.one(name, caller_of(request)))

    @put(
        "/{name:str}",
        opt=_ADMIN,
        summary="Replace a schedule's cadence and job; its ticks count from now",
        responses={**_BODY_ERRORS, 404: problem_spec("No schedule of this name"), **STORE_DOWN},
    )
    async def replace_schedule(
        self,
        request: AnyRequest,
        name: str,
        replace: FromDishka[ReplaceSchedule],
        read: FromDishka[ReadSchedules],
        settings: FromDishka[Settings],
    ) -> ScheduleOut:
        data = await read_json(request, ScheduleReplace)
        await replace(caller_of(request), name, data.spec(settings.queues))
        return ScheduleOut.of(await read.one(name))

    @delete(
        "/{name:str}",
        opt=_ADMIN,
        summary="Delete a schedule; the jobs it made stay",
        responses={404: problem_spec("No schedule of this name"), **STORE_DOWN},
    )
    async def delete_schedule(
        self, request: AnyRequest, name: str, remove: FromDishka[DeleteSchedule]
    ) -> None:
        await remove(caller_of(request), name)

    @post(
        "/{name:str}/pause",
        opt=_OPERATE,
        status_code=200,
        summary="Pause a schedule: its ticks are skipped until it is resumed",
        responses={404: problem_spec("No schedule of this name"), **STORE_DOWN},
    )
    async def pause_schedule(
        self,
        request: AnyRequest,
        name: str,
        pause: FromDishka[PauseSchedule],
        read: FromDishka[ReadSchedules],
    ) -> ScheduleOut:
        await pause(caller_of(request), name, paused=True)
        return ScheduleOut.of(await read.one(name))

    @post(
        "/{name:str}/resume",
        opt=_OPERATE,
        status_code=200,
        summary="Resume a schedule from its next tick after now",
        responses={404: problem_spec("No schedule of this name"), **STORE_DOWN},
    )
    async def resume_schedule(
        self,
        request: AnyRequest,
        name: str,
        pause: FromDishka[PauseSchedule],
        read: FromDishka[ReadSchedules],
    ) -> ScheduleOut:
        await pause(caller_of(request), name, paused=False)
        return ScheduleOut.of(await read.one(name))

    @post(
        "/{name:str}/trigger",
        opt=_OPERATE,
        status_code=202,
        summary="Submit the schedule's job now, outside its ticks",
        responses={404: problem_spec("No schedule of this name"), **STORE_DOWN},
    )
    async def trigger_schedule(
        self,
        request: AnyRequest,
        name: str,
        trigger: FromDishka[TriggerSchedule],
        settings: FromDishka[Settings],
    ) -> JobOut:
        submitted = await trigger(caller_of(request), name)
        return JobOut.of(submitted.job, settings.http_base_url)

    # Litestar's own OPTIONS answer lists only some of a path's methods; a controller registers
    # its handlers by name, so these sort first, before Litestar adds one of its own.
    @route("/", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=_READ)
    async def allowed_methods(self, request: AnyRequest) -> Response[None]:
        return answer_options(request)

    @route("/{name:str}", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=_READ)
    async def allowed_methods_of_one(self, request: AnyRequest) -> Response[None]:
        return answer_options(request)
