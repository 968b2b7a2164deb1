"""Cancel or replay the jobs ticked on the Jobs page: the first post counts how many of
them the action applies to, and only a confirmation acts, one job at a time through the
same use cases (and audit entries) as the job page's buttons."""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, post
from litestar.response import Template

from taskforge_app.cancel_job import CancelJob
from taskforge_app.get_job import GetJob
from taskforge_app.job_changes import JobBusy
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_domain.access import Scope
from taskforge_domain.errors import InvalidTransition, JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.jobs_controller import CANCELLABLE
from taskforge_entrypoints.ui.pages import page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]
MAX_SELECTED = 200
ACTIONS = {"cancel": "cancelled", "replay": "replayed"}


def applies(action: str, job: Job) -> bool:
    if action == "cancel":
        return job.status in CANCELLABLE and job.cancel_requested_at is None
    return job.status is JobStatus.DEAD


def selected_ids(values: list[str], most: int = MAX_SELECTED) -> list[UUID]:
    ids: list[UUID] = []
    for value in values[:most]:
        try:
            ids.append(UUID(value))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


async def act_where_it_still_applies(
    action: str,
    ids: list[UUID],
    current: Callable[[UUID], Awaitable[Job | None]],
    act: Callable[[UUID], Awaitable[object]],
) -> tuple[int, int]:
    """Acts on each job the action still applies to, as the count showed, and counts the
    others as skipped: between the count and the confirmation a job may have finished or
    been asked to cancel already, and cancelling it again would report it as done."""
    done, skipped = 0, 0
    for job_id in ids:
        job = await current(job_id)
        if job is None or not applies(action, job):
            skipped += 1
            continue
        try:
            await act(job_id)
            done += 1
        except (InvalidTransition, JobNotFound, JobBusy):
            skipped += 1
    return done, skipped


class JobSelectionController(Controller):
    path = "/ui/jobs"
    include_in_schema = False

    @post("/selected", opt=needs(Scope.OPERATE))
    async def act_on_selected(
        self,
        request: AnyRequest,
        get_job: FromDishka[GetJob],
        cancel_job: FromDishka[CancelJob],
        replay_dead_job: FromDishka[ReplayDeadJob],
    ) -> Template:
        form = await request.form()
        action = str(form.get("action", ""))
        ids = selected_ids([str(v) for v in form.getall("job_id", [])])
        caller = ui_caller(request)
        if action not in ACTIONS or not ids:
            problem = "tick at least one job" if ids or action in ACTIONS else "pick an action"
            return page(request, "selected.html.j2", status_code=422, problem=problem)
        if form.get("confirm") != "yes":
            jobs = [await visible_job(get_job, job_id, caller) for job_id in ids]
            found = [job for job in jobs if job is not None]
            legal = [job for job in found if applies(action, job)]
            return page(request, "selected.html.j2", action=action, selected=len(ids), legal=legal)

        async def act(job_id: UUID) -> object:
            if action == "cancel":
                return await cancel_job(job_id, caller)
            return await replay_dead_job(job_id, None, caller)

        async def current(job_id: UUID) -> Job | None:
            return await visible_job(get_job, job_id, caller)

        done, skipped = await act_where_it_still_applies(action, ids, current, act)
        return page(
            request,
            "selected.html.j2",
            action=action,
            done=done,
            skipped=skipped,
            past=ACTIONS[action],
        )


async def visible_job(get_job: GetJob, job_id: UUID, caller: Any) -> Job | None:
    try:
        return await get_job(job_id, caller)
    except JobNotFound:
        return None
