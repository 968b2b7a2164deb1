"""The overview: per queue what waits, what runs, how old the oldest ready job is and
whether it is paused, the attempts it finished over the last minutes, the live workers,
and the depth over the last readings."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get
from litestar.response import Template

from taskforge_app.outcome_tally import OutcomeTally
from taskforge_domain.access import Scope
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.depth_chart import depth_chart
from taskforge_entrypoints.ui.error_pages import no_such_page
from taskforge_entrypoints.ui.outcome_chart import SPAN, outcome_chart
from taskforge_entrypoints.ui.overview_snapshot import REFRESH_SECONDS, OverviewSnapshot, seen_by
from taskforge_entrypoints.ui.pages import page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]


class OverviewController(Controller):
    path = "/ui"
    include_in_schema = False

    @get("/", opt=needs(Scope.READ))
    async def overview(
        self,
        request: AnyRequest,
        snapshot: FromDishka[OverviewSnapshot],
        tally: FromDishka[OutcomeTally],
    ) -> Template:
        return page(request, "overview.html.j2", **await _overview(request, snapshot, tally))

    @get("/overview/live", opt=needs(Scope.READ))
    async def live(
        self,
        request: AnyRequest,
        snapshot: FromDishka[OverviewSnapshot],
        tally: FromDishka[OutcomeTally],
    ) -> Template:
        """The overview's changing part, which the page fetches again every few seconds."""
        return page(request, "overview_live.html.j2", **await _overview(request, snapshot, tally))

    @get("/{unknown:path}", opt=needs(Scope.READ))
    async def unknown(self, unknown: str) -> Template:
        """Any other address under /ui: a page that says so, under the dashboard's headers."""
        return no_such_page()


async def _overview(
    request: AnyRequest, snapshot: OverviewSnapshot, tally: OutcomeTally
) -> dict[str, Any]:
    caller = ui_caller(request)
    reading = seen_by(await snapshot.current(), caller)
    queues = [state.queue for state in reading.queues]
    granted = caller.grant.queues
    # A queue that finished attempts but holds no job any more still shows its figures.
    counted = sorted(q for q in tally.queues() if granted is None or q in granted)
    outcome_queues = [*queues, *(q for q in counted if q not in queues)]
    return {
        "outcomes": outcome_chart(tally.recent(SPAN, granted)),
        "queue_outcomes": [(q, outcome_chart(tally.recent(SPAN, {q}))) for q in outcome_queues],
        "counting_since": tally.since,
        "reading": reading,
        "chart": depth_chart(snapshot.history(), queues),
        "refresh_seconds": max(REFRESH_SECONDS, 5),
    }
