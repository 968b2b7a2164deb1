import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge")


async def run_outcome_history_loop(
    keep: Callable[[], Awaitable[object]],
    interval: timedelta,
    stop: asyncio.Event,
    timer: Timer = REAL_TIME,
) -> None:
    """Save the throughput every interval, and once more on stop. An outage only delays a
    save: the counts wait for the next one (the outage is logged where it hurts)."""
    while True:
        stopping = stop.is_set()
        try:
            await keep()
        except OUTAGES as exc:
            log.debug("saving the throughput history failed, will retry: %s", exc)
        except Exception:
            log.exception("saving the throughput history failed unexpectedly, will retry")
        if stopping:
            return
        await sleep_unless_stopped(stop, interval.total_seconds(), timer)
