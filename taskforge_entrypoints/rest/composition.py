"""Builds the Litestar app: routes, error mapping, OpenAPI, and the container's lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dishka import Provider
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from taskforge_app.ports import JobRepository
from taskforge_entrypoints import ioc
from taskforge_entrypoints.rest.errors import exception_handlers
from taskforge_entrypoints.rest.health_controller import HealthController
from taskforge_entrypoints.rest.jobs_controller import JobsController
from taskforge_entrypoints.settings import Settings


def create_app(settings: Settings, *overrides: Provider) -> Litestar:
    container = ioc.make_container(settings, *overrides)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            await ioc.apply_migrations(settings)
            await container.get(JobRepository)
            yield
        finally:
            await container.close()

    app = Litestar(
        route_handlers=[DishkaRouter("", route_handlers=[JobsController, HealthController])],
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
    return app
