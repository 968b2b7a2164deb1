"""The relay's life in a scheduler process: listen, catch up, then relay on every wake-up."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from taskforge_app.ports import ChannelUnavailable, EnqueuedJobs, EnqueueRules, EnqueueWakeups
from taskforge_app.relay_enqueued_jobs import RelayEnqueuedJobs
from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge.relay")

_MAX_RECONNECT_DELAY = 5.0


@dataclass(frozen=True, slots=True)
class EnqueueRelay:
    relay: RelayEnqueuedJobs
    wakeups: EnqueueWakeups
    jobs: EnqueuedJobs
    rules: EnqueueRules


async def run_enqueue_relay(
    parts: EnqueueRelay, poll_seconds: float, stop: asyncio.Event, timer: Timer = REAL_TIME
) -> None:
    """Relay jobs enqueued in SQL as their transactions commit. Without a wake-up it
    still looks every poll_seconds (what a publish that failed left, or a lost
    notification); after an outage it listens again and catches up on what committed
    while nobody listened."""
    delay = 0.2
    while not stop.is_set():
        try:
            # Listening starts before the catch-up, so a commit in between is not missed.
            await parts.wakeups.listen()
            await parts.jobs.write_rules(parts.rules)
            await _relay(parts.relay)
            delay = 0.2
            log.info("relaying jobs enqueued in SQL")
            await _relay_on_wake_ups(parts, poll_seconds, stop, timer)
            return
        except OUTAGES as exc:
            log.warning("relay of jobs enqueued in SQL interrupted, will listen again: %s", exc)
        except Exception:
            # As the scheduler's own passes: logged and tried again, never the process's end.
            log.exception("relay of jobs enqueued in SQL failed unexpectedly, will listen again")
        finally:
            await parts.wakeups.close()
        if await sleep_unless_stopped(stop, delay, timer):
            return
        delay = min(delay * 2, _MAX_RECONNECT_DELAY)


async def _relay_on_wake_ups(
    parts: EnqueueRelay, poll_seconds: float, stop: asyncio.Event, timer: Timer
) -> None:
    """Until stopped, or the listening fails (StoreUnavailable)."""
    pause = 0.2
    while not stop.is_set():
        woken = await _woken(parts.wakeups, poll_seconds, stop)
        if stop.is_set():
            return
        if await _relay(parts.relay, quiet=not woken):
            pause = 0.2
            continue
        # Redis is down: each commit would wake the relay to take and roll back one batch.
        if await sleep_unless_stopped(stop, pause, timer):
            return
        pause = min(pause * 2, _MAX_RECONNECT_DELAY)


async def _relay(relay: Callable[[], Awaitable[int]], *, quiet: bool = False) -> bool:
    """Whether the relay reached the delivery channel (or had nothing to give it)."""
    try:
        published = await relay()
    except ChannelUnavailable as exc:
        # The jobs stay in the relay table; the next look publishes them.
        log.warning("jobs enqueued in SQL wait for the delivery channel: %s", exc)
        return False
    if published and quiet:
        log.info("relayed %d jobs enqueued in SQL without a notification", published)
    return True


async def _woken(wakeups: EnqueueWakeups, seconds: float, stop: asyncio.Event) -> bool:
    """Whether a commit woke the relay; False on the poll's timeout or when stopped."""
    woken = asyncio.ensure_future(wakeups.wait(seconds))
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({woken, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not woken.done():
            woken.cancel()
    return woken.done() and not woken.cancelled() and woken.result()
