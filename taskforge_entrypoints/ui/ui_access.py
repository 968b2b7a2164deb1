"""Who is looking at the dashboard: the session cookie's key, checked on every request
against the store, then the route's scope, as the REST guard checks a bearer key; and on
every POST, the form's CSRF token, which is good for this session only."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dishka import AsyncContainer
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from taskforge_app.authenticate import AuthenticateSession, SessionKeyRefused
from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_entrypoints.rest.access import request_id_of, required_scope
from taskforge_entrypoints.ui.next_page import back_after_login
from taskforge_entrypoints.ui.notices import LoginReason
from taskforge_entrypoints.ui.session_cookie import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Session,
    SessionSigner,
    new_csrf_cookie,
)

CSRF_FIELD = "csrf_token"
_VISIT = "taskforge_ui_visit"


@dataclass(frozen=True, slots=True)
class Visit:
    """What a page needs to know of the request: who, and the CSRF token its forms carry
    (with the cookie it comes from, when this browser has none yet)."""

    caller: Caller | None
    csrf_token: str
    new_csrf_cookie: str | None
    secure_cookies: bool
    auth_required: bool


class LoginNeeded(Exception):
    """No valid session: the browser is sent to the login page, then back."""

    def __init__(self, reason: LoginReason, back_to: str) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.back_to = back_to


class CsrfRefused(Exception):
    """A form came without the token of this browser's pages."""


def ui_guard(
    container: AsyncContainer,
    signer: SessionSigner,
    *,
    required: bool,
    secure_cookies: bool,
    open_page: bool = False,
) -> Any:
    """The guard of the dashboard's pages; an `open_page` (the login page) needs no session."""

    async def authorize(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        request_id = request_id_of(connection.scope)
        caller: Caller | None = None
        session: Session | None = None
        if not required:
            caller = Caller(ANONYMOUS.name, ANONYMOUS.grant, request_id)
        elif not open_page:
            session, caller = await _session_caller(connection, container, signer, request_id)
        if caller is not None and not open_page:
            caller.grant.require(required_scope(handler))
        if connection.scope.get("method") == "POST":
            await _check_csrf(connection, signer, session)
        known = connection.cookies.get(CSRF_COOKIE)
        fresh = None if known else new_csrf_cookie()
        # HTTPS at this process, or at the proxy HTTP_BASE_URL names: the cookies say Secure.
        secure = secure_cookies or connection.url.scheme == "https"
        connection.scope["state"][_VISIT] = Visit(
            caller, signer.csrf_token(known or fresh or "", session), fresh, secure, required
        )

    return authorize


async def _session_caller(
    connection: ASGIConnection[Any, Any, Any, Any],
    container: AsyncContainer,
    signer: SessionSigner,
    request_id: str,
) -> tuple[Session, Caller]:
    back_to = back_after_login(
        str(connection.scope.get("method")), str(connection.url), connection.headers.get("referer")
    )
    session = signer.session_of(connection.cookies.get(SESSION_COOKIE), datetime.now(UTC))
    if session is None:
        raise LoginNeeded(LoginReason.NO_SESSION, back_to)
    authenticate = await container.get(AuthenticateSession)
    try:
        return session, await authenticate(session.key_id, request_id)
    except SessionKeyRefused as exc:
        raise LoginNeeded(LoginReason(f"key-{exc.state}"), back_to) from None


async def _check_csrf(
    connection: ASGIConnection[Any, Any, Any, Any],
    signer: SessionSigner,
    session: Session | None,
) -> None:
    if not isinstance(connection, Request):
        raise CsrfRefused("not a form")
    form = await connection.form()
    token = form.get(CSRF_FIELD)
    if not signer.csrf_matches(connection.cookies.get(CSRF_COOKIE), token, session):
        raise CsrfRefused("the form's CSRF token does not match this browser's")


def visit_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Visit:
    visit = connection.scope["state"].get(_VISIT)
    if not isinstance(visit, Visit):
        raise RuntimeError(f"{connection.url.path} is not behind the dashboard's guard")
    return visit


def ui_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    caller = visit_of(connection).caller
    if caller is None:
        raise RuntimeError(f"{connection.url.path} is open to callers without a session")
    return caller
