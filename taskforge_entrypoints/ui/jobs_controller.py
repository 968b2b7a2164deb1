"""The Jobs page (every filter of GET /v1/jobs, keyset pages) and one job's page."""

from typing import Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.response import Redirect, Template

from taskforge_app.await_job_change import AwaitJobChange
from taskforge_app.cancel_job import CancelJob
from taskforge_app.estimate_matching_jobs import EstimateMatchingJobs
from taskforge_app.get_job import GetJob
from taskforge_app.get_webhook_deliveries import GetWebhookDeliveries
from taskforge_app.list_jobs import GetAttempts, ListJobs
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_domain.access import Scope
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.job_cursor import encode_cursor
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.formatting import masked
from taskforge_entrypoints.ui.job_filters import PAGE_SIZES, job_filters
from taskforge_entrypoints.ui.notices import Notice
from taskforge_entrypoints.ui.pages import back_to, page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]
# A running job is asked to stop; its worker's next lease renewal cancels the handler.
CANCELLABLE = frozenset(
    {
        JobStatus.PENDING,
        JobStatus.SCHEDULED,
        JobStatus.QUEUED,
        JobStatus.RETRYING,
        JobStatus.RUNNING,
    }
)

# How long a job page's request for the job's next change is held open; then it asks again.
FOLLOW_SECONDS = 25.0

# What a bulk replay selects by (beside its status): other filters would not carry over.
BULK_REPLAY_FILTERS = frozenset({"status", "job_type", "error"})


class JobsController(Controller):
    path = "/ui/jobs"
    include_in_schema = False

    @get("/", opt=needs(Scope.READ))
    async def jobs(
        self,
        request: AnyRequest,
        list_jobs: FromDishka[ListJobs],
        estimate: FromDishka[EstimateMatchingJobs],
        settings: FromDishka[Settings],
    ) -> Template | Redirect:
        params = dict(request.query_params)
        if wanted := params.get("job_id", "").strip():
            try:
                return Redirect(f"/ui/jobs/{UUID(wanted)}", status_code=303)
            except ValueError:
                pass
        filters = job_filters(params, settings.queues)
        if wanted:
            filters.problems.append(f"{wanted!r} is not a job id (a UUID)")
        jobs = await list_jobs(filters.query, ui_caller(request))
        # PostgreSQL's estimate, not a count: a count of a broad filter scans the table.
        about = await estimate(filters.query, ui_caller(request))
        last = jobs[-1] if len(jobs) == filters.query.limit else None
        return page(
            request,
            "jobs.html.j2",
            filters=filters,
            jobs=jobs,
            estimated=about.count,
            statuses=list(JobStatus),
            queues=settings.queues,
            page_sizes=PAGE_SIZES,
            next_link=None
            if last is None
            else filters.link(cursor=encode_cursor(last.created_at, last.id)),
            first_link=filters.link() if "cursor" in params else None,
            bulk_replayable=filters.values.get("status") == "dead"
            and set(filters.values) <= BULK_REPLAY_FILTERS,
            cancel_matchable=filters.query.status in CANCELLABLE and not filters.problems,
        )

    @get("/{job_id:uuid}", opt=needs(Scope.READ))
    async def job(
        self,
        request: AnyRequest,
        job_id: UUID,
        get_job: FromDishka[GetJob],
        get_attempts: FromDishka[GetAttempts],
        get_deliveries: FromDishka[GetWebhookDeliveries],
        settings: FromDishka[Settings],
    ) -> Template:
        caller = ui_caller(request)
        job = await get_job(job_id, caller)
        attempts = await get_attempts(job_id, caller)
        deliveries = await get_deliveries(job.id) if job.callback_url is not None else []
        return page(
            request,
            "job.html.j2",
            job=job,
            payload=masked(dict(job.payload), settings.ui_mask_payload_keys),
            result=masked(job.result, settings.ui_mask_payload_keys),
            attempts=attempts,
            deliveries=deliveries,
            api_link=f"{settings.http_base_url}/v1/jobs/{job.id}",
            cancellable=job.status in CANCELLABLE and job.cancel_requested_at is None,
            replayable=job.status is JobStatus.DEAD,
        )

    @get("/{job_id:uuid}/changes", opt=needs(Scope.READ))
    async def changes(
        self,
        request: AnyRequest,
        job_id: UUID,
        after: int,
        await_change: FromDishka[AwaitJobChange],
    ) -> Response[str]:
        """Whether the job moved past the revision its page shows: the page reloads when it
        did, and asks again when not, so it costs one read per wait, not a page per tick."""
        changed = await await_change(job_id, after, FOLLOW_SECONDS, ui_caller(request))
        return Response("changed" if changed else "unchanged", media_type=MediaType.TEXT)

    @post("/{job_id:uuid}/cancel", opt=needs(Scope.OPERATE))
    async def cancel(
        self, request: AnyRequest, job_id: UUID, cancel_job: FromDishka[CancelJob]
    ) -> Redirect:
        job = await cancel_job(job_id, ui_caller(request))
        cancelled = job.status is JobStatus.CANCELLED
        notice = Notice.JOB_CANCELLED if cancelled else Notice.JOB_CANCEL_ASKED
        return back_to(f"/ui/jobs/{job_id}", notice)

    @post("/{job_id:uuid}/replay", opt=needs(Scope.OPERATE))
    async def replay(
        self, request: AnyRequest, job_id: UUID, replay_dead_job: FromDishka[ReplayDeadJob]
    ) -> Redirect:
        await replay_dead_job(job_id, None, ui_caller(request))
        return back_to(f"/ui/jobs/{job_id}", Notice.JOB_REPLAYED)
