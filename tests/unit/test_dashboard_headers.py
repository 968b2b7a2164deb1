"""Every answer under /ui carries the dashboard's Content-Security-Policy, static files
and error pages included; the errors no dashboard route handles answer a page too."""

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from dishka import make_async_container
from litestar import Litestar, get
from litestar.testing import TestClient

from taskforge_app.ports import StoreUnavailable
from taskforge_entrypoints.config.settings import load_settings
from taskforge_entrypoints.rest.access import RequestIds
from taskforge_entrypoints.rest.errors import exception_handlers
from taskforge_entrypoints.ui.dashboard import dashboard_router, dashboard_templates
from taskforge_entrypoints.ui.error_pages import dashboard_error_pages, store_down
from taskforge_entrypoints.ui.security_headers import CONTENT_SECURITY_POLICY

# The dashboard's routes take their query parameters in Litestar's older inferred style,
# as the API process builds them too; the warning is not what these tests are about.
pytestmark = pytest.mark.filterwarnings("ignore::litestar.exceptions.LitestarDeprecationWarning")


@get("/ui/broken", include_in_schema=False)
async def broken_page() -> str:
    raise RuntimeError("a fault no handler expects")


@get("/v1/broken", include_in_schema=False)
async def broken_route() -> str:
    raise RuntimeError("a fault no handler expects")


async def no_store_check(*_: Any) -> None:
    """Static files and refused methods never reach the store."""


@pytest.fixture
def client() -> Iterator[TestClient[Litestar]]:
    container = make_async_container()
    dashboard = dashboard_router(container, load_settings({}), no_store_check)
    app = Litestar(
        route_handlers=[dashboard, broken_page, broken_route],
        template_config=dashboard_templates(),
        exception_handlers=dashboard_error_pages(exception_handlers),
        middleware=[RequestIds],
        logging_config=None,
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_static_file_carries_the_policy(client: TestClient[Litestar]) -> None:
    answer = client.get("/ui/static/ui.js")

    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_method_the_address_does_not_take_answers_a_page_with_the_policy(
    client: TestClient[Litestar],
) -> None:
    answer = client.get("/ui/logout")

    assert answer.status_code == 405
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "POST" in answer.headers["allow"]
    assert "<h1>This address does not take this</h1>" in answer.text


def test_an_unexpected_fault_answers_a_page_with_the_policy_and_no_trace(
    client: TestClient[Litestar],
) -> None:
    answer = client.get("/ui/broken", headers={"X-Request-ID": "req-broken-1"})

    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "request req-broken-1" in answer.text
    assert "a fault no handler expects" not in answer.text


def test_outside_the_dashboard_errors_stay_problem_documents(
    client: TestClient[Litestar],
) -> None:
    answer = client.get("/v1/broken")

    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "content-security-policy" not in answer.headers


def test_a_store_outage_page_names_no_host_user_or_error() -> None:
    class AtPath:
        url = SimpleNamespace(path="/ui/jobs")

    refused = StoreUnavailable(
        'PostgreSQL unavailable: password authentication failed for user "tf_app" '
        "at db.internal:5432"
    )

    answer = store_down(AtPath(), refused)  # type: ignore[arg-type]

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    shown = str(answer.context)  # type: ignore[attr-defined]
    assert "The job store does not answer" in shown
    for detail in ("db.internal", "5432", "tf_app", "password"):
        assert detail not in shown, detail
