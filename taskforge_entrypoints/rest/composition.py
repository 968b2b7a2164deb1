"""Builds the Litestar app: routes, error mapping, OpenAPI, and the container's lifespan."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dishka import Provider
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from prometheus_client import CollectorRegistry

from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.rest.access import RequestIds, access_guard, declared_scopes
from taskforge_entrypoints.rest.api_docs import SwaggerUiPage, api_docs_router
from taskforge_entrypoints.rest.audit_controller import AuditController
from taskforge_entrypoints.rest.dead_letters_controller import DeadLettersController
from taskforge_entrypoints.rest.errors import exception_handlers
from taskforge_entrypoints.rest.health_controller import HealthController
from taskforge_entrypoints.rest.job_batch_controller import JobBatchController
from taskforge_entrypoints.rest.job_events_controller import JobEventsController
from taskforge_entrypoints.rest.job_operations_controller import JobOperationsController
from taskforge_entrypoints.rest.jobs_controller import JobsController
from taskforge_entrypoints.rest.keys_controller import KeysController
from taskforge_entrypoints.rest.limits_controller import LimitsController
from taskforge_entrypoints.rest.metrics import HttpMetrics, MetricsController
from taskforge_entrypoints.rest.openapi_document import make_exact
from taskforge_entrypoints.rest.queues_controller import QueuesController
from taskforge_entrypoints.rest.schedules_controller import SchedulesController
from taskforge_entrypoints.rest.webhook_controller import JobWebhookController
from taskforge_entrypoints.rest.workers_controller import WorkersController
from taskforge_entrypoints.ui.dashboard import dashboard_router, dashboard_templates
from taskforge_entrypoints.ui.error_pages import dashboard_error_pages

log = logging.getLogger("taskforge")

FIRST_TRY_SECONDS = 1.0


def _report_failure(bringing_up: "asyncio.Task[bool]") -> None:
    if not bringing_up.cancelled() and (exc := bringing_up.exception()) is not None:
        log.error("cannot apply the migrations; the job routes answer 503: %s", exc, exc_info=exc)


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def warn_if_open(settings: Settings) -> None:
    if not settings.api_auth_required and settings.http_host not in _LOOPBACK:
        log.warning(
            "API_AUTH=off and the API listens on %s:%d: anyone who reaches it may submit, "
            "read, cancel and replay every job; set API_AUTH=required (README, Security)",
            settings.http_host or "every interface",
            settings.http_port,
        )


def warn_if_sessions_local(settings: Settings) -> None:
    if not settings.ui_session_secret_set:
        log.warning(
            "UI_SESSION_SECRET is unset: this API process made up its own, so dashboard "
            "sessions and form tokens last only as long as this process and do not work "
            "across API processes behind one address; set the same UI_SESSION_SECRET on "
            "each (README, Dashboard)"
        )


def create_app(settings: Settings, *overrides: Provider) -> Litestar:
    """The API serves from the first moment, PostgreSQL or not: /health answers, /ready
    names what is missing, and the job routes answer 503 until this process has
    applied the migrations, which it keeps trying in the background."""
    ioc.check_migration_source(settings)
    metrics = CollectorRegistry()
    startup = ioc.store_startup(settings)
    container = ioc.make_container(settings, *overrides, metrics=metrics, startup=startup)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        bringing_up = asyncio.create_task(startup.bring_up(stop), name="store startup")
        bringing_up.add_done_callback(_report_failure)
        following = asyncio.create_task(
            ioc.follow_job_changes(container, stop), name="job change feed"
        )
        keeping = asyncio.create_task(
            ioc.keep_outcome_history(container, bringing_up, stop), name="throughput history"
        )
        # A PostgreSQL that answers is migrated in milliseconds: the first requests then
        # find the job routes open. One that refuses or hangs delays serving little.
        await startup.first_try(within=FIRST_TRY_SECONDS)
        try:
            yield
        finally:
            stop.set()
            bringing_up.cancel()
            await asyncio.wait({bringing_up, following, keeping})
            await container.close()

    async def store_migrated(
        connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        # Async, because Litestar hands a sync guard to a worker thread on every request.
        # OPTIONS only lists the route's methods; it reads no job.
        if connection.scope.get("method") != "OPTIONS":
            startup.refuse_until_migrated()

    authorize = access_guard(container, settings.api_auth_required)
    warn_if_open(settings)
    warn_if_sessions_local(settings)
    app = Litestar(
        route_handlers=[
            DishkaRouter(
                "",
                route_handlers=[
                    JobsController,
                    JobOperationsController,
                    JobEventsController,
                    DeadLettersController,
                    WorkersController,
                    JobWebhookController,
                    AuditController,
                    KeysController,
                    QueuesController,
                    SchedulesController,
                    LimitsController,
                ],
                guards=[store_migrated, authorize],
            ),
            DishkaRouter(
                "",
                route_handlers=[JobBatchController],
                guards=[store_migrated, authorize],
                request_max_body_size=settings.http_max_batch_body_bytes,
            ),
            # /metrics reads the store lazily and answers while it is away, hence no
            # store guard; it needs the read scope like any other read.
            DishkaRouter("", route_handlers=[MetricsController], guards=[authorize]),
            DishkaRouter("", route_handlers=[HealthController]),
            dashboard_router(container, settings, store_migrated),
        ],
        template_config=dashboard_templates(),
        middleware=[RequestIds, HttpMetrics(metrics)],
        # The process's logging (taskforge_entrypoints.process.logging_setup) stays in charge.
        logging_config=None,
        exception_handlers=dashboard_error_pages(exception_handlers),
        lifespan=[lifespan],
        request_max_body_size=settings.http_max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Taskforge",
            version="0.1.0",
            description=(
                "Submit jobs over HTTP; workers run them with retries and a dead-letter stream."
            ),
            openapi_router=api_docs_router("/docs", guards=[authorize]),
            render_plugins=[SwaggerUiPage()],
        ),
    )
    setup_dishka(container, app)
    make_exact(
        app,
        settings.queues,
        settings.webhooks.rule,
        declared_scopes(app, authorize) if settings.api_auth_required else None,
    )
    return app
