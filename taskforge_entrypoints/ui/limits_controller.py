"""Limits per job type: the slots in use, and an admin's setting and removing of them."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from taskforge_app.manage_limits import ListLimits, RemoveLimit, SetLimit
from taskforge_domain.access import Scope
from taskforge_domain.job_type_limit import InvalidLimit, JobTypeLimit, Rate, RatePeriod
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.notices import Notice
from taskforge_entrypoints.ui.pages import back_to, page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]


def whole_number(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise InvalidLimit(f"{name}: a whole number, or empty for none")
    return int(text)


def limit_of(form: Any) -> JobTypeLimit:
    starts = whole_number(str(form.get("rate", "")), "rate")
    per = str(form.get("per", "second"))
    if per not in RatePeriod.__members__.values():
        raise InvalidLimit(f"per: one of {', '.join(RatePeriod)}")
    return JobTypeLimit(
        job_type=str(form.get("job_type", "")).strip(),
        concurrency=whole_number(str(form.get("concurrency", "")), "concurrency"),
        rate=None if starts is None else Rate(starts, RatePeriod(per)),
    )


class LimitsController(Controller):
    path = "/ui/limits"
    include_in_schema = False

    @get("/", opt=needs(Scope.READ))
    async def limits(self, request: AnyRequest, list_limits: FromDishka[ListLimits]) -> Template:
        return page(
            request,
            "limits.html.j2",
            limits=await list_limits(),
            periods=list(RatePeriod),
        )

    @post("/", opt=needs(Scope.ADMIN))
    async def set_limit(self, request: AnyRequest, set_limit: FromDishka[SetLimit]) -> Redirect:
        limit = limit_of(await request.form())
        await set_limit(ui_caller(request), limit)
        return back_to("/ui/limits", Notice.LIMIT_SET)

    @post("/{job_type:str}/remove", opt=needs(Scope.ADMIN))
    async def remove_limit(
        self, request: AnyRequest, job_type: str, remove_limit: FromDishka[RemoveLimit]
    ) -> Redirect:
        await remove_limit(ui_caller(request), job_type)
        return back_to("/ui/limits", Notice.LIMIT_REMOVED)
