from typing import Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, post

from taskforge_app.get_webhook_deliveries import GetWebhookDeliveries
from taskforge_app.redeliver_webhooks import RedeliverWebhooks
from taskforge_domain.access import Scope
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.webhook_json import JobWithWebhookOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, problem_spec


class JobWebhookController(Controller):
    """A job's completion webhook: sending failed deliveries again."""

    path = "/v1/jobs"
    tags = ("operations",)

    @post(
        "/{job_id:uuid}/webhook/redeliver",
        status_code=202,
        opt=needs(Scope.OPERATE),
        summary="Send a job's failed webhook deliveries again",
        description=(
            "Each failed delivery (its attempts used up) gets a new delivery with a fresh "
            "budget of WEBHOOK_MAX_ATTEMPTS; the failed one stays in `webhook.deliveries`. "
            "No failed delivery: 409."
        ),
        responses={
            404: problem_spec("No job with this id"),
            409: problem_spec("The job has no failed webhook delivery"),
            **STORE_DOWN,
        },
    )
    async def redeliver(
        self,
        request: Request[Any, Any, Any],
        job_id: UUID,
        redeliver: FromDishka[RedeliverWebhooks],
        get_deliveries: FromDishka[GetWebhookDeliveries],
        settings: FromDishka[Settings],
    ) -> JobWithWebhookOut:
        job = await redeliver(job_id, caller_of(request))
        deliveries = await get_deliveries(job.id)
        return JobWithWebhookOut.with_deliveries(job, settings.http_base_url, deliveries)
