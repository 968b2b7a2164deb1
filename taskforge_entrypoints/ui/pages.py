"""Every dashboard page is rendered here: the template gets who is looking, what they may
do and their CSRF token; a browser without a CSRF cookie gets one."""

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from taskforge_domain.access import Scope
from taskforge_entrypoints.ui.notices import Notice, notice_text
from taskforge_entrypoints.ui.session_cookie import CSRF_COOKIE
from taskforge_entrypoints.ui.ui_access import Visit, visit_of

AnyRequest = Request[Any, Any, Any]


def csrf_cookie(value: str, visit: Visit) -> Cookie:
    return Cookie(
        key=CSRF_COOKIE,
        value=value,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=visit.secure_cookies,
    )


def page(request: AnyRequest, template: str, status_code: int = 200, **context: Any) -> Template:
    visit = visit_of(request)
    caller = visit.caller
    cookies = [] if visit.new_csrf_cookie is None else [csrf_cookie(visit.new_csrf_cookie, visit)]
    return Template(
        template,
        context={
            "caller": caller,
            "auth_required": visit.auth_required,
            "can_operate": caller is not None and caller.grant.permits(Scope.OPERATE),
            "can_admin": caller is not None and caller.grant.permits(Scope.ADMIN),
            "form_token": visit.csrf_token,
            "path": request.url.path,
            "notice": notice_text(request.query_params.get("notice")),
            **context,
        },
        status_code=status_code,
        cookies=cookies,
    )


def back_to(path: str, notice: Notice) -> Redirect:
    """After an action, the page it was made from, saying what happened (post/redirect/get)."""
    return Redirect(path, query_params={"notice": notice.value}, status_code=303)
