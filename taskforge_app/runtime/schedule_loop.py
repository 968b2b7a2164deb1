"""The schedulers' loop that fires schedule ticks, beside the loop that promotes retries."""

import asyncio
import logging
from datetime import datetime

from taskforge_app.fire_schedules import FireSchedules
from taskforge_app.ports.clock import Clock
from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge.schedules")

LOOK_AGAIN_SECONDS = 1.0
"""The longest sleep: a schedule created or resumed meanwhile is seen within it."""
_SHORTEST_SLEEP = 0.05


async def run_schedule_loop(
    fire: FireSchedules, clock: Clock, stop: asyncio.Event, timer: Timer = REAL_TIME
) -> None:
    """Fire what is due, then sleep until the next tick falls due (at most a second).
    Outages are logged and outlived."""
    while not stop.is_set():
        next_due: datetime | None = None
        try:
            created = await fire()
            next_due = await fire.next_due()
        except OUTAGES as exc:
            log.warning("firing schedules failed, will retry: %s", exc)
        except Exception:
            log.exception("firing schedules failed unexpectedly, will retry")
        else:
            if created:
                log.info("schedules fired: %d jobs", created)
        if await sleep_unless_stopped(stop, _sleep_for(next_due, clock), timer):
            return


def _sleep_for(next_due: datetime | None, clock: Clock) -> float:
    if next_due is None:
        return LOOK_AGAIN_SECONDS
    wait = (next_due - clock.now()).total_seconds()
    return min(max(wait, _SHORTEST_SLEEP), LOOK_AGAIN_SECONDS)
