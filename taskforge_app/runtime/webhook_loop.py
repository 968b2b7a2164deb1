import asyncio
import logging
from datetime import timedelta

from taskforge_app.deliver_webhooks import DeliverWebhooks
from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge.webhooks")


async def run_webhook_loop(
    deliver: DeliverWebhooks, interval: timedelta, stop: asyncio.Event, timer: Timer = REAL_TIME
) -> None:
    """Deliver due webhooks, at once again while there were some, else every interval.
    Apart from the scheduler loop, so a slow receiver never delays promotion or repair."""
    while not stop.is_set():
        attempted = 0
        try:
            attempted = await deliver()
        except OUTAGES as exc:
            log.warning("delivering webhooks failed, will retry: %s", exc)
        except Exception:
            log.exception("delivering webhooks failed unexpectedly, will retry")
        if not attempted and await sleep_unless_stopped(stop, interval.total_seconds(), timer):
            return
