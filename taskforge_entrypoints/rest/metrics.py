"""GET /metrics in the Prometheus text format, and the HTTP request metrics behind it."""

import time
from collections.abc import Iterable
from typing import cast

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Response, get
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from taskforge_app.measure_backlog import Backlog, MeasureBacklog
from taskforge_domain.access import Scope as AccessScope
from taskforge_entrypoints.rest.access import needs

# Litestar appends "; charset=utf-8" to a text/* media type.
CONTENT_TYPE = "text/plain; version=0.0.4"
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics(ASGIMiddleware):
    """Counts and times every request a route answers, labelled by the route's template
    (`/v1/jobs/{job_id}`), never the raw path, so a label value exists per route.

    Paths no route matches are answered (404, 405) before route middleware runs, so
    they are not counted.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests = Counter(
            "taskforge_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self._seconds = Histogram(
            "taskforge_http_request_duration_seconds",
            "Time from a request's arrival at its route to the end of its response.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        self._counted: dict[tuple[str, str, int], Counter] = {}
        self._timed: dict[tuple[str, str], Histogram] = {}

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await next_app(scope, receive, send_and_note_status)
        finally:
            http = cast(HTTPScope, scope)
            self._observe(
                http["method"], http["path_template"], status, time.perf_counter() - started
            )

    def _observe(self, method: str, route: str, status: int, seconds: float) -> None:
        counter = self._counted.get((method, route, status))
        if counter is None:
            counter = self._counted[(method, route, status)] = self._requests.labels(
                method, route, str(status)
            )
        counter.inc()
        timer = self._timed.get((method, route))
        if timer is None:
            timer = self._timed[(method, route)] = self._seconds.labels(method, route)
        timer.observe(seconds)


class MetricsController(Controller):
    @get(
        "/metrics",
        include_in_schema=False,
        opt=needs(AccessScope.READ),
        media_type=CONTENT_TYPE,
        summary="Prometheus metrics of this API process and the backlog",
    )
    async def metrics(
        self, registry: FromDishka[CollectorRegistry], measure_backlog: FromDishka[MeasureBacklog]
    ) -> Response[bytes]:
        backlogs = await measure_backlog()
        body = generate_latest(_Scrape(registry, backlog_metrics(backlogs)))
        return Response(body, media_type=CONTENT_TYPE)


class _Scrape:
    """The process's registry plus the gauges measured for this scrape alone."""

    def __init__(self, registry: CollectorRegistry, measured: list[Metric]) -> None:
        self._registry = registry
        self._measured = measured

    def collect(self) -> Iterable[Metric]:
        yield from self._registry.collect()
        yield from self._measured


def backlog_metrics(backlogs: list[Backlog]) -> list[Metric]:
    """Each queue's backlog as gauges; a part that could not be measured is left out,
    not reported as zero."""
    depth = GaugeMetricFamily(
        "taskforge_queue_depth",
        "Jobs waiting for a worker (pending or queued), by queue.",
        labels=["queue"],
    )
    age = GaugeMetricFamily(
        "taskforge_oldest_ready_job_age_seconds",
        "How long the oldest waiting job has been ready to run (0 when none waits), by queue.",
        labels=["queue"],
    )
    pending = GaugeMetricFamily(
        "taskforge_stream_pending_entries",
        "Messages delivered to a worker and not yet acknowledged (XPENDING), by queue and stream.",
        labels=["queue", "stream"],
    )
    for backlog in backlogs:
        if backlog.depth is not None:
            depth.add_metric([backlog.queue], backlog.depth)
        if backlog.oldest_ready_age_seconds is not None:
            age.add_metric([backlog.queue], backlog.oldest_ready_age_seconds)
        if backlog.in_flight is not None:
            pending.add_metric([backlog.queue, backlog.in_flight.where], backlog.in_flight.count)
    return [family for family in (depth, age, pending) if family.samples]
