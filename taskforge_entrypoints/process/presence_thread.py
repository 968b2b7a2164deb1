"""The worker's heartbeat on a thread of its own, with its own event loop and connection.

A handler that blocks the worker's event loop (a CPU-bound step, a synchronous client)
delays everything on that loop. The heartbeat says whether the process lives, not
whether its loop is free, so it must not wait behind such a handler: otherwise a busy
but healthy worker would look gone and its attempts would run a second time elsewhere.
"""

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from taskforge_app.ports import WorkerIdentity
from taskforge_app.runtime.outages import sleep_unless_stopped
from taskforge_app.runtime.worker_presence import PresenceOptions, keep_announcing
from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import Settings

log = logging.getLogger("taskforge.worker")


@contextmanager
def announcing_presence(
    settings: Settings,
    worker: WorkerIdentity,
    in_flight: Callable[[], int],
    options: PresenceOptions,
) -> Iterator[None]:
    """Announce the worker every heartbeat while the block runs."""
    started = threading.Event()
    loop_and_stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def announce() -> None:
        stop = asyncio.Event()
        loop_and_stop.append((asyncio.get_running_loop(), stop))
        started.set()
        while not stop.is_set():
            try:
                async with ioc.own_worker_presence(settings) as presence:
                    await keep_announcing(presence, worker, in_flight, options, stop)
            except Exception as exc:
                # Its connection could not be opened (PostgreSQL restarting, say): keep
                # trying, or this live worker would soon be taken for gone.
                log.warning("the heartbeat of worker %s failed, retrying: %s", worker.name, exc)
                await sleep_unless_stopped(stop, options.heartbeat.total_seconds())

    thread = threading.Thread(
        target=asyncio.run, args=(announce(),), name=f"heartbeat-{worker.name}", daemon=True
    )
    thread.start()
    started.wait()
    try:
        yield
    finally:
        loop, stop = loop_and_stop[0]
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=5)
