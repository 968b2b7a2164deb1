"""Where every request meets access control: each route declares the scope it needs in
its `opt`, and one guard asks the application who the caller is and whether their key
grants that scope. A route that declares nothing needs `admin`, so a route added without
thought is closed, not open."""

import re
import secrets
from typing import Any

from dishka import AsyncContainer
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from taskforge_app.authenticate import Authenticate
from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_domain.access import Scope as AccessScope

SCOPE = "scope"
"""The key of a route's `opt` that names the scope it needs."""

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_CALLER = "taskforge_caller"
_REQUEST_ID_STATE = "taskforge_request_id"


def needs(scope: AccessScope) -> dict[str, Any]:
    """A route's opt: `@get(..., opt=needs(Scope.READ))`."""
    return {SCOPE: scope}


def required_scope(handler: BaseRouteHandler) -> AccessScope:
    scope = handler.opt.get(SCOPE)
    if isinstance(scope, AccessScope):
        return scope
    # Litestar answers OPTIONS on every path by itself: it lists methods, reads nothing.
    methods: set[str] = getattr(handler, "http_methods", set())
    return AccessScope.READ if methods == {"OPTIONS"} else AccessScope.ADMIN


def declared_scopes(app: Litestar, guard: Any) -> dict[tuple[str, str], AccessScope]:
    """(method, path) → the scope its route needs, for every route behind `guard`: what
    the OpenAPI document declares."""
    return {
        (method.lower(), route.path_format): required_scope(handler)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if guard in handler.resolve_guards()
        for method in getattr(handler, "http_methods", ())
        if method != "OPTIONS"
    }


def request_id_of(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    return str(state[_REQUEST_ID_STATE])


class RequestIds:
    """Every request gets an id, the client's own X-Request-ID when it sends a sane one,
    answered in the same header and recorded with each audit entry it causes."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        sent = next(
            (value for name, value in scope["headers"] if name == b"x-request-id"), b""
        ).decode("latin-1")
        request_id = sent if _REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)
        scope.setdefault("state", {})[_REQUEST_ID_STATE] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self._app(scope, receive, send_with_id)


def access_guard(container: AsyncContainer, required: bool) -> Any:
    """The guard of every route but /health and /ready. Unless keys are `required`
    (API_AUTH=off), each caller is anonymous and allowed everything."""

    async def authorize(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        request_id = request_id_of(connection.scope)
        if not required:
            caller = Caller(ANONYMOUS.name, ANONYMOUS.grant, request_id)
        else:
            authenticate = await container.get(Authenticate)
            caller = await authenticate(connection.headers.get("authorization"), request_id)
            caller.grant.require(required_scope(handler))
        connection.scope["state"][_CALLER] = caller

    return authorize


def caller_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    """The caller the guard let in; a route without the guard has none, and must not ask."""
    caller = connection.scope["state"].get(_CALLER)
    if not isinstance(caller, Caller):
        raise RuntimeError(f"{connection.url.path} is not behind the access guard")
    return caller
