"""What the dashboard answers when a page or an action cannot be done: a page that says
what is wrong and what to do, never a stack trace; no session leads to the login page."""

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from taskforge_app.job_changes import JobBusy
from taskforge_app.manage_limits import LimitNotFound
from taskforge_app.pause_queue import QueueNotFound
from taskforge_app.ports import StoreUnavailable
from taskforge_domain.access import Forbidden
from taskforge_domain.errors import DomainError, InvalidTransition, JobNotFound
from taskforge_domain.job_type_limit import InvalidLimit
from taskforge_domain.schedule import ScheduleNotFound
from taskforge_entrypoints.rest.access import request_id_of
from taskforge_entrypoints.ui.security_headers import HEADERS, is_dashboard_path
from taskforge_entrypoints.ui.ui_access import CsrfRefused, LoginNeeded

log = logging.getLogger(__name__)
AnyRequest = Request[Any, Any, Any]


def _page(status: int, title: str, detail: str, advice: str) -> Template:
    return Template(
        "error.html.j2",
        context={"title": title, "detail": detail, "advice": advice, "status": status},
        status_code=status,
        headers=HEADERS,
    )


def login_needed(_: AnyRequest, exc: LoginNeeded) -> Response[Any]:
    query = urlencode({"next_page": exc.back_to, "reason": exc.reason.value})
    return Redirect(f"/ui/login?{query}", status_code=303, headers=HEADERS)


def no_such_page() -> Template:
    return _page(404, "No such page", "Nothing is at this address.", "Use the menu above.")


def _handler(
    status: int, title: str, advice: str
) -> Callable[[AnyRequest, Exception], Response[Any]]:
    def handle(_: AnyRequest, exc: Exception) -> Response[Any]:
        return _page(status, title, str(exc), advice)

    return handle


def store_down(request: AnyRequest, exc: Exception) -> Response[Any]:
    log.warning("dashboard page %s: %s", request.url.path, exc)
    # The error itself names hosts, ports and users: logged, never shown, and this page
    # answers before any login.
    page = _page(
        503,
        "The job store does not answer",
        "PostgreSQL did not answer this page's reading.",
        "PostgreSQL is down or not migrated yet: reload this page in a few seconds; "
        "/ready names what is missing.",
    )
    page.headers["Retry-After"] = "5"
    return page


ui_exception_handlers: ExceptionHandlersMap = {
    LoginNeeded: login_needed,
    CsrfRefused: _handler(
        403, "The form has expired", "Reload the page and do it again from there."
    ),
    Forbidden: _handler(
        403, "Your key may not do this", "Log in with a key that has the scope named above."
    ),
    JobNotFound: _handler(404, "No such job", "Check the id, or find the job on the Jobs page."),
    QueueNotFound: _handler(404, "No such queue", "Pick a queue on the Queues page."),
    ScheduleNotFound: _handler(404, "No such schedule", "Pick one on the Schedules page."),
    InvalidTransition: _handler(
        409, "The job's status does not allow it", "Reload the job to see its status now."
    ),
    JobBusy: _handler(409, "The job is changing right now", "Try again in a moment."),
    DomainError: _handler(409, "This cannot be done", "Reload the page to see the state now."),
    ValidationException: _handler(400, "This address is not valid", "Go back and try again."),
    NotFoundException: _handler(404, "No such page", "Use the menu to find what you need."),
    InvalidLimit: _handler(422, "This limit cannot be set", "Go back and correct the field named."),
    LimitNotFound: _handler(404, "No such limit", "Pick one on the Limits page."),
    StoreUnavailable: store_down,
}


_HTTP_PAGES = {
    404: ("No such page", "Use the menu to find what you need."),
    405: ("This address does not take this", "Use the page's own links and buttons."),
}


def dashboard_error_pages(api_handlers: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """The API's handlers, except that under /ui what no dashboard route handles (an
    address that does not take the method, an unexpected fault) answers a page too."""
    api_http_error = api_handlers[HTTPException]
    api_unexpected = api_handlers[Exception]

    def http_error(request: AnyRequest, exc: HTTPException) -> Response[Any]:
        if not is_dashboard_path(request.url.path):
            return api_http_error(request, exc)
        title, advice = _HTTP_PAGES.get(exc.status_code, ("This cannot be done", "Go back."))
        page = _page(exc.status_code, title, exc.detail, advice)
        page.headers.update(exc.headers or {})  # a 405's Allow
        return page

    def unexpected(request: AnyRequest, exc: Exception) -> Response[Any]:
        if not is_dashboard_path(request.url.path):
            return api_unexpected(request, exc)
        request_id = request_id_of(request.scope)
        log.exception(
            "unexpected error on dashboard page %s (request %s)", request.url.path, request_id
        )
        return _page(
            500,
            "Something went wrong",
            f"The dashboard met an error it did not expect (request {request_id}).",
            "Reload the page; if it happens again, the API's log names the error by this "
            "request id.",
        )

    return {**api_handlers, HTTPException: http_error, Exception: unexpected}
