"""Cancel every job a Jobs page's filter shows: the first post lists and counts the jobs it
would cancel, and the confirmation cancels those, not jobs that matched in between."""

import dataclasses
from typing import Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, post
from litestar.response import Template

from taskforge_app.cancel_job import CancelJob
from taskforge_app.get_job import GetJob
from taskforge_app.list_jobs import ListJobs
from taskforge_domain.access import Scope
from taskforge_domain.job import Job
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.job_filters import FILTERS, JobFilters, job_filters
from taskforge_entrypoints.ui.job_selection_controller import (
    act_where_it_still_applies,
    applies,
    selected_ids,
    visible_job,
)
from taskforge_entrypoints.ui.jobs_controller import CANCELLABLE
from taskforge_entrypoints.ui.pages import page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]
MAX_CANCEL = 500
"""Jobs one confirmation cancels, one at a time with an audit entry each, so that the
request ends within seconds; cancel again for the rest."""
_PAGE = 250


def cancellable_filter(filters: JobFilters) -> bool:
    """Only a status that can be cancelled: without one, the walk for cancellable jobs
    would read the finished ones too, most of a large table."""
    status = filters.query.status
    return status is not None and status in CANCELLABLE and not filters.problems


class CancelMatchingController(Controller):
    path = "/ui/jobs"
    include_in_schema = False

    @post("/cancel-matching", opt=needs(Scope.OPERATE))
    async def cancel_matching(
        self,
        request: AnyRequest,
        list_jobs: FromDishka[ListJobs],
        get_job: FromDishka[GetJob],
        cancel_job: FromDishka[CancelJob],
        settings: FromDishka[Settings],
    ) -> Template:
        form = await request.form()
        caller = ui_caller(request)
        if form.get("confirm") == "yes":
            ids = selected_ids([str(v) for v in form.getall("job_id", [])], MAX_CANCEL)

            async def current(job_id: UUID) -> Job | None:
                return await visible_job(get_job, job_id, caller)

            async def cancel(job_id: UUID) -> object:
                return await cancel_job(job_id, caller)

            done, skipped = await act_where_it_still_applies("cancel", ids, current, cancel)
            return page(request, "cancel_matching.html.j2", done=done, skipped=skipped)
        filters = job_filters({name: str(form.get(name, "")) for name in FILTERS}, settings.queues)
        if not cancellable_filter(filters):
            return page(
                request,
                "cancel_matching.html.j2",
                status_code=422,
                filters=filters,
                problem="the filter must name a status a job can be cancelled in "
                f"({', '.join(sorted(CANCELLABLE))}), and every filter must be usable",
            )
        matching = await _first_matching(list_jobs, filters, caller)
        legal = [job for job in matching if applies("cancel", job)][:MAX_CANCEL]
        return page(
            request,
            "cancel_matching.html.j2",
            filters=filters,
            legal=legal,
            capped=len(matching) > MAX_CANCEL,
            most=MAX_CANCEL,
        )


async def _first_matching(list_jobs: ListJobs, filters: JobFilters, caller: Any) -> list[Job]:
    """The newest MAX_CANCEL + 1 matching jobs at most, page after page (keyset), so that
    "at least" is told from "exactly"."""
    found: list[Job] = []
    query = dataclasses.replace(filters.query, limit=_PAGE, before=None)
    while len(found) <= MAX_CANCEL:
        jobs = await list_jobs(query, caller)
        found.extend(jobs)
        if len(jobs) < _PAGE:
            break
        query = dataclasses.replace(query, before=(jobs[-1].created_at, jobs[-1].id))
    return found[: MAX_CANCEL + 1]
