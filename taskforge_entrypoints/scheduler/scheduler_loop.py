import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.purge_finished_jobs import PurgeFinishedJobs
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.repair_delivery import RepairDelivery
from taskforge_entrypoints.process.lifecycle import OUTAGES, sleep_unless_stopped

log = logging.getLogger("taskforge.scheduler")


@dataclass(frozen=True, slots=True)
class SchedulerTasks:
    promote: PromoteDueRetries
    reap: ReapExpiredAttempts
    repair: RepairDelivery
    purge: PurgeFinishedJobs


async def run_scheduler_loop(
    tasks: SchedulerTasks, interval: timedelta, repair_interval: timedelta, stop: asyncio.Event
) -> None:
    """Every interval promote due jobs and reap expired leases; every repair interval,
    repair what the streams lost and apply retention. Outages are logged and outlived.
    """
    next_repair = time.monotonic() + repair_interval.total_seconds()
    while not stop.is_set():
        await _guarded("promoting due retries", tasks.promote)
        await _guarded("reaping expired leases", tasks.reap)
        if time.monotonic() >= next_repair:
            await _guarded("repairing delivery", tasks.repair)
            await _guarded("deleting finished jobs past their retention", tasks.purge)
            next_repair = time.monotonic() + repair_interval.total_seconds()
        if await sleep_unless_stopped(stop, interval.total_seconds()):
            return


async def _guarded(what: str, task: Callable[[], Awaitable[int]]) -> None:
    try:
        count = await task()
    except OUTAGES as exc:
        log.warning("%s failed, will retry: %s", what, exc)
    except Exception:
        log.exception("%s failed unexpectedly, will retry", what)
    else:
        if count:
            log.info("%s: %d jobs", what, count)
