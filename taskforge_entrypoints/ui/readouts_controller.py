"""The pages that show without changing: the live workers and the audit trail."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get
from litestar.response import Template

from taskforge_app.audit_log import ListAudit
from taskforge_app.list_workers import ListWorkers
from taskforge_app.ports.audit_trail import AuditQuery
from taskforge_domain.access import Scope
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.pages import page

AnyRequest = Request[Any, Any, Any]
AUDIT_PAGE = 50


class ReadoutsController(Controller):
    path = "/ui"
    include_in_schema = False

    @get("/workers", opt=needs(Scope.READ))
    async def workers(self, request: AnyRequest, list_workers: FromDishka[ListWorkers]) -> Template:
        return page(request, "workers.html.j2", workers=await list_workers())

    @get("/audit", opt=needs(Scope.ADMIN))
    async def audit(
        self, request: AnyRequest, list_audit: FromDishka[ListAudit], before: int | None = None
    ) -> Template:
        entries = await list_audit(AuditQuery(limit=AUDIT_PAGE, below_id=before))
        older = entries[-1].id if len(entries) == AUDIT_PAGE else None
        return page(request, "audit.html.j2", entries=entries, older=older)
