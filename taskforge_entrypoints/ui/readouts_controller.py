"""The pages that show without changing: the live workers and the audit trail."""

from typing import Any
from urllib.parse import urlencode

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
_NAME_MAX = 200


class ReadoutsController(Controller):
    path = "/ui"
    include_in_schema = False

    @get("/workers", opt=needs(Scope.READ))
    async def workers(self, request: AnyRequest, list_workers: FromDishka[ListWorkers]) -> Template:
        return page(request, "workers.html.j2", workers=await list_workers())

    @get("/audit", opt=needs(Scope.ADMIN))
    async def audit(
        self,
        request: AnyRequest,
        list_audit: FromDishka[ListAudit],
        before: int | None = None,
        actor: str | None = None,
        action: str | None = None,
    ) -> Template:
        filters = {
            name: value.strip()[:_NAME_MAX]
            for name, value in (("actor", actor), ("action", action))
            if value and value.strip()
        }
        query = AuditQuery(
            limit=AUDIT_PAGE,
            below_id=before,
            actor=filters.get("actor"),
            action=filters.get("action"),
        )
        entries = await list_audit(query)
        older = None
        if len(entries) == AUDIT_PAGE:
            older = "/ui/audit?" + urlencode({**filters, "before": entries[-1].id})
        return page(request, "audit.html.j2", entries=entries, older=older, filters=filters)
