"""Builds the Litestar app: routes, error mapping, OpenAPI, and the container's lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dishka import Provider
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from prometheus_client import CollectorRegistry

from taskforge_app.ports import JobLookup
from taskforge_app.runtime.outages import until_available
from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.process.lifecycle import stop_on_signals
from taskforge_entrypoints.rest.dead_letters_controller import DeadLettersController
from taskforge_entrypoints.rest.errors import exception_handlers
from taskforge_entrypoints.rest.health_controller import HealthController
from taskforge_entrypoints.rest.job_batch_controller import JobBatchController
from taskforge_entrypoints.rest.job_operations_controller import JobOperationsController
from taskforge_entrypoints.rest.jobs_controller import JobsController
from taskforge_entrypoints.rest.metrics import HttpMetrics, MetricsController
from taskforge_entrypoints.rest.openapi_document import make_exact


async def wait_for_migrations(settings: Settings) -> bool:
    """Apply migrations, waiting out a PostgreSQL that is not up yet; False when stopped."""
    stop = stop_on_signals()
    return (
        await until_available(lambda: ioc.apply_migrations(settings), stop, "migrations")
        is not None
    )


def create_app(settings: Settings, *overrides: Provider) -> Litestar:
    metrics = CollectorRegistry()
    container = ioc.make_container(settings, *overrides, metrics=metrics)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            await container.get(JobLookup)
            yield
        finally:
            await container.close()

    app = Litestar(
        route_handlers=[
            DishkaRouter(
                "",
                route_handlers=[
                    JobsController,
                    JobOperationsController,
                    DeadLettersController,
                    HealthController,
                ],
            ),
            DishkaRouter(
                "",
                route_handlers=[JobBatchController],
                request_max_body_size=settings.http_max_batch_body_bytes,
            ),
            DishkaRouter("", route_handlers=[MetricsController]),
        ],
        middleware=[HttpMetrics(metrics)],
        # The process's logging (taskforge_entrypoints.process.logging_setup) stays in charge.
        logging_config=None,
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        request_max_body_size=settings.http_max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Taskforge",
            version="0.1.0",
            description=(
                "Submit jobs over HTTP; workers run them with retries and a dead-letter stream."
            ),
            path="/docs",
            render_plugins=[ScalarRenderPlugin()],
        ),
    )
    setup_dishka(container, app)
    make_exact(app, settings.queues)
    return app
