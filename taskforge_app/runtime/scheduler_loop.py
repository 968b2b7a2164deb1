import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from taskforge_app.audit_log import PurgeAudit
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.purge_finished_jobs import PurgeFinishedJobs
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.recover_silent_workers import RecoverSilentWorkers
from taskforge_app.repair_delivery import RepairDelivery
from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge.scheduler")


@dataclass(frozen=True, slots=True)
class SchedulerTasks:
    promote: PromoteDueRetries
    reap: ReapExpiredAttempts
    repair: RepairDelivery
    purge: PurgeFinishedJobs
    recover: RecoverSilentWorkers
    purge_audit: PurgeAudit | None = None


@dataclass(frozen=True, slots=True)
class SchedulerIntervals:
    promote: timedelta
    """Due retries and scheduled jobs are promoted this often."""
    repair: timedelta
    """Delivery is repaired and retention applied this often."""
    recovery: timedelta
    """Silent workers and expired leases are looked for this often: a worker's heartbeat,
    so that a crashed worker's job runs again seconds after the crash."""


async def run_scheduler_loop(
    tasks: SchedulerTasks,
    intervals: SchedulerIntervals,
    stop: asyncio.Event,
    timer: Timer = REAL_TIME,
) -> None:
    """Every recovery interval recover silent workers and reap expired leases, promoting
    at once what that made due; every interval promote due jobs; every repair interval,
    repair what the streams lost and apply retention. Outages are logged and outlived.
    """
    tick = min(intervals.promote, intervals.recovery).total_seconds()
    next_promote = timer.monotonic()
    next_repair = timer.monotonic() + intervals.repair.total_seconds()
    while not stop.is_set():
        recovered = await _guarded("recovering silent workers", tasks.recover)
        reaped = await _guarded("reaping expired leases", tasks.reap)
        if recovered or reaped or timer.monotonic() >= next_promote:
            await _guarded("promoting due retries", tasks.promote)
            next_promote = timer.monotonic() + intervals.promote.total_seconds()
        if timer.monotonic() >= next_repair:
            await _guarded("repairing delivery", tasks.repair)
            await _guarded("deleting finished jobs past their retention", tasks.purge)
            if tasks.purge_audit is not None:
                await _guarded("deleting audit entries past AUDIT_RETENTION", tasks.purge_audit)
            next_repair = timer.monotonic() + intervals.repair.total_seconds()
        if await sleep_unless_stopped(stop, tick, timer):
            return


async def _guarded(what: str, task: Callable[[], Awaitable[int]]) -> int:
    try:
        count = await task()
    except OUTAGES as exc:
        log.warning("%s failed, will retry: %s", what, exc)
    except Exception:
        log.exception("%s failed unexpectedly, will retry", what)
    else:
        if count:
            log.info("%s: %d", what, count)
        return count
    return 0
