"""GET /metrics for a process that serves no other HTTP: a worker, on WORKER_METRICS_ADDR."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry, start_http_server

log = logging.getLogger("taskforge")


@asynccontextmanager
async def serving_metrics(
    address: tuple[str, int] | None, registry: CollectorRegistry
) -> AsyncIterator[None]:
    """Serve the registry from a thread of its own while the block runs; scrapes read
    counters only, so they never wait for the event loop. No address, no server."""
    if address is None:
        yield
        return
    host, port = address
    try:
        server, thread = start_http_server(port, host, registry=registry)
    except OSError as exc:
        raise OSError(f"WORKER_METRICS_ADDR: cannot listen on {host}:{port}: {exc}") from exc
    log.info("serving metrics on http://%s:%d/metrics", host, port)
    try:
        yield
    finally:
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        thread.join()
