"""The dashboard's routes, security headers and templates, for the API's app to mount."""

from pathlib import Path
from typing import Any

from dishka import AsyncContainer
from dishka.integrations.litestar import DishkaRouter
from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import Guard

from taskforge_domain.schedule import format_every
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.ui import formatting
from taskforge_entrypoints.ui.cancel_matching_controller import CancelMatchingController
from taskforge_entrypoints.ui.dead_letters_controller import DeadLettersController
from taskforge_entrypoints.ui.error_pages import ui_exception_handlers
from taskforge_entrypoints.ui.job_selection_controller import JobSelectionController
from taskforge_entrypoints.ui.jobs_controller import JobsController
from taskforge_entrypoints.ui.limits_controller import LimitsController
from taskforge_entrypoints.ui.login_controller import LoginController, LogoutController
from taskforge_entrypoints.ui.overview_controller import OverviewController
from taskforge_entrypoints.ui.queues_controller import QueuesController
from taskforge_entrypoints.ui.readouts_controller import ReadoutsController
from taskforge_entrypoints.ui.schedules_controller import SchedulesController
from taskforge_entrypoints.ui.security_headers import DashboardHeaders
from taskforge_entrypoints.ui.session_cookie import SessionSigner
from taskforge_entrypoints.ui.ui_access import ui_guard

HERE = Path(__file__).parent
PAGES = [
    OverviewController,
    JobsController,
    JobSelectionController,
    CancelMatchingController,
    DeadLettersController,
    QueuesController,
    SchedulesController,
    LimitsController,
    ReadoutsController,
    LogoutController,
]


def dashboard_router(container: AsyncContainer, settings: Settings, store_guard: Guard) -> Router:
    signer = SessionSigner(settings.ui_session_secret)
    options: dict[str, Any] = {
        "required": settings.api_auth_required,
        "secure_cookies": settings.http_base_url.startswith("https://"),
    }
    login = ui_guard(container, signer, open_page=True, **options)
    pages = ui_guard(container, signer, **options)
    static = create_static_files_router(
        "/ui/static",
        [HERE / "static"],
        name="ui-static",
        cache_control=CacheControlHeader(no_cache=True),
    )
    return Router(
        "",
        route_handlers=[
            static,
            DishkaRouter("", route_handlers=[LoginController], guards=[store_guard, login]),
            DishkaRouter("", route_handlers=PAGES, guards=[store_guard, pages]),
        ],
        # Not response_headers: those miss the static files' answers.
        middleware=[DashboardHeaders],
        exception_handlers=ui_exception_handlers,
        include_in_schema=False,
    )


def _add_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(
        utc=formatting.utc,
        iso=formatting.iso,
        age=formatting.age,
        duration=formatting.duration,
        pretty_json=formatting.pretty_json,
        percent=formatting.percent,
        every=format_every,
    )


def dashboard_templates() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_add_filters
    )
