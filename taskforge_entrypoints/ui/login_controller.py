"""Logging in with an API key once, and out: the key is checked by the same use case as a
bearer key, and the session cookie then names only its key id."""

import logging
from datetime import UTC, datetime
from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from taskforge_app.authenticate import Authenticate, Unauthenticated
from taskforge_app.key_secrets import parse_token
from taskforge_domain.access import Scope
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.rest.access import needs, request_id_of
from taskforge_entrypoints.ui.next_page import safe_next
from taskforge_entrypoints.ui.notices import login_reason_text
from taskforge_entrypoints.ui.pages import csrf_cookie, page
from taskforge_entrypoints.ui.session_cookie import (
    SESSION_COOKIE,
    Session,
    SessionSigner,
    new_csrf_cookie,
)
from taskforge_entrypoints.ui.ui_access import visit_of

log = logging.getLogger(__name__)
AnyRequest = Request[Any, Any, Any]


def session_cookie(value: str, max_age: int, secure: bool) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/ui",
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


class LoginController(Controller):
    path = "/ui"
    include_in_schema = False

    @get("/login")
    async def login_page(
        self, request: AnyRequest, next_page: str | None = None
    ) -> Template | Redirect:
        if not visit_of(request).auth_required:
            # API_AUTH=off: there is no key to ask for.
            return Redirect(safe_next(next_page), status_code=303)
        reason = login_reason_text(request.query_params.get("reason"))
        return page(request, "login.html.j2", next_page=safe_next(next_page), reason=reason)

    @post("/login")
    async def log_in(
        self,
        request: AnyRequest,
        authenticate: FromDishka[Authenticate],
        settings: FromDishka[Settings],
    ) -> Template | Redirect:
        form = await request.form()
        token = str(form.get("api_key", "")).strip()
        target = safe_next(form.get("next_page"))
        presented = parse_token(token)
        try:
            caller = await authenticate(f"Bearer {token}", request_id_of(request.scope))
        except Unauthenticated as exc:
            return page(request, "login.html.j2", status_code=401, next_page=target, error=str(exc))
        if not caller.grant.permits(Scope.READ):
            # Every page needs read, logging out too: such a session could do nothing,
            # not even end.
            refused = "this key lacks the read scope, which every dashboard page needs"
            return page(request, "login.html.j2", status_code=403, next_page=target, error=refused)
        assert presented is not None  # Authenticate accepted it, so it is shaped like a key
        lifetime = settings.ui_session_lifetime
        session = Session(presented.key_id, datetime.now(UTC) + lifetime)
        value = SessionSigner(settings.ui_session_secret).session_value(session)
        secure = visit_of(request).secure_cookies
        cookie = session_cookie(value, int(lifetime.total_seconds()), secure)
        # A new CSRF cookie with each login: a token seen before it is good for nothing after.
        fresh_csrf = csrf_cookie(new_csrf_cookie(), visit_of(request))
        log.info("%s logged in to the dashboard (request %s)", caller.name, caller.request_id)
        return Redirect(target, status_code=303, cookies=[cookie, fresh_csrf])


class LogoutController(Controller):
    path = "/ui"
    include_in_schema = False

    @post("/logout", opt=needs(Scope.READ))
    async def log_out(self, request: AnyRequest) -> Redirect:
        gone = session_cookie("", 0, visit_of(request).secure_cookies)
        return Redirect("/ui/login", status_code=303, cookies=[gone])
