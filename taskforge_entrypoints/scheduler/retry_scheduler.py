import asyncio
import logging
from datetime import timedelta

from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_entrypoints.lifecycle import OUTAGES, sleep_unless_stopped

log = logging.getLogger("taskforge.scheduler")


async def run_retry_scheduler(
    promote: PromoteDueRetries, interval: timedelta, stop: asyncio.Event
) -> None:
    """Every interval, promote the retries that are due; outages are logged and outlived."""
    seconds = interval.total_seconds()
    while not stop.is_set():
        try:
            promoted = await promote()
            if promoted:
                log.info("promoted %d due retries", promoted)
        except OUTAGES as exc:
            log.warning("retry promotion failed, next try in %gs: %s", seconds, exc)
        except Exception:
            log.exception("retry promotion failed unexpectedly, next try in %gs", seconds)
        if await sleep_unless_stopped(stop, seconds):
            return
