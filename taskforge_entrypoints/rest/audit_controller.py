import re
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, get
from litestar.params import Parameter

from taskforge_app.audit_log import ListAudit
from taskforge_app.ports.audit_trail import AuditEntry, AuditQuery
from taskforge_domain.access import Scope
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.access_json import AuditEntryOut, AuditPage
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, InvalidQuery, problem_spec
from taskforge_entrypoints.rest.query_values import query_whole_number, whole_number
from taskforge_entrypoints.rest.timestamps import query_timestamp

MAX_PAGE = 500
DEFAULT_PAGE = 50
_NAME = Parameter(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
TIMESTAMP = Parameter(
    schema_extra={"format": "date-time"}, description="RFC 3339, like 2026-12-01T09:00:00Z"
)
# Read as text and parsed here, so a value that is no UUID answers 422 naming it.
JOB_ID = Parameter(schema_extra={"format": "uuid"})
CURSOR_PATTERN = r"^[1-9][0-9]{0,17}$"
_CURSOR = re.compile(CURSOR_PATTERN)
CURSOR = Parameter(schema_extra={"pattern": CURSOR_PATTERN})


class AuditController(Controller):
    path = "/v1/audit"
    tags = ("operations",)

    @get(
        "/",
        opt=needs(Scope.ADMIN),
        summary="The audit trail of operator writes, newest first",
        description=(
            "Cancels, replays (one or in bulk, with the filter and count), keys created and "
            "revoked: who (the key's name, `anonymous` while API_AUTH is off, `cli:<user>` "
            "for the CLI), what, which jobs, when, and the request's X-Request-ID. Follow "
            "`next` for older entries. Kept for AUDIT_RETENTION."
        ),
        responses={422: problem_spec("A query parameter is not valid"), **STORE_DOWN},
    )
    async def list_audit(
        self,
        list_audit: FromDishka[ListAudit],
        settings: FromDishka[Settings],
        actor: Annotated[str | None, _NAME] = None,
        action: Annotated[str | None, _NAME] = None,
        job_id: Annotated[str | None, JOB_ID] = None,
        after: Annotated[str | None, TIMESTAMP] = None,
        before: Annotated[str | None, TIMESTAMP] = None,
        limit: Annotated[str | None, whole_number(1, MAX_PAGE, default=DEFAULT_PAGE)] = None,
        cursor: Annotated[str | None, CURSOR] = None,
    ) -> AuditPage:
        query = AuditQuery(
            limit=query_whole_number("limit", limit, 1, MAX_PAGE) or DEFAULT_PAGE,
            actor=actor,
            action=action,
            job_id=_job_id(job_id),
            after=query_timestamp("after", after),
            before=query_timestamp("before", before),
            below_id=_cursor(cursor),
        )
        entries = await list_audit(query)
        return AuditPage(
            entries=[AuditEntryOut.of(entry) for entry in entries],
            next=_next_link(settings.http_base_url, query, entries),
        )


def _cursor(text: str | None) -> int | None:
    if text is None:
        return None
    if not _CURSOR.fullmatch(text):
        raise InvalidQuery(detail="cursor must be the id a `next` link carries")
    return int(text)


def _job_id(text: str | None) -> UUID | None:
    if text is None:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise InvalidQuery(detail=f"job_id must be a UUID, not {text!r}") from None


def _next_link(base_url: str, query: AuditQuery, page: list[AuditEntry]) -> str | None:
    """The same query from below the page's last entry; None when the page was the last."""
    if len(page) < query.limit:
        return None
    filters: dict[str, Any] = {
        "actor": query.actor,
        "action": query.action,
        "job_id": query.job_id,
        "after": query.after and query.after.isoformat(),
        "before": query.before and query.before.isoformat(),
        "limit": query.limit,
        "cursor": page[-1].id,
    }
    return f"{base_url}/v1/audit?{urlencode({k: v for k, v in filters.items() if v is not None})}"
