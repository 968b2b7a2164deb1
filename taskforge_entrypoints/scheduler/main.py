import asyncio
import logging

from dishka import AsyncContainer, Provider

from taskforge_app.audit_log import PurgeAudit
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.purge_finished_jobs import PurgeFinishedJobs
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.recover_silent_workers import RecoverSilentWorkers
from taskforge_app.repair_delivery import RepairDelivery
from taskforge_app.runtime.outages import until_available
from taskforge_app.runtime.scheduler_loop import (
    SchedulerIntervals,
    SchedulerTasks,
    run_scheduler_loop,
)
from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.process.lifecycle import stop_on_signals
from taskforge_entrypoints.process.store_startup import StoreStartup

log = logging.getLogger("taskforge.scheduler")


async def scheduler_tasks(container: AsyncContainer) -> SchedulerTasks:
    return SchedulerTasks(
        promote=await container.get(PromoteDueRetries),
        reap=await container.get(ReapExpiredAttempts),
        repair=await container.get(RepairDelivery),
        purge=await container.get(PurgeFinishedJobs),
        recover=await container.get(RecoverSilentWorkers),
        purge_audit=await container.get(PurgeAudit),
    )


async def run_scheduler(settings: Settings, container: AsyncContainer, stop: asyncio.Event) -> None:
    tasks = await until_available(lambda: scheduler_tasks(container), stop, "connecting")
    if tasks is None:
        return
    intervals = SchedulerIntervals(
        promote=settings.retry_scheduler_interval,
        repair=settings.repair_interval,
        recovery=settings.worker_heartbeat_interval,
    )
    log.info(
        "scheduler promoting every %s, recovering silent workers every %s, repairing every %s",
        intervals.promote,
        intervals.recovery,
        intervals.repair,
    )
    await run_scheduler_loop(tasks, intervals, stop)


async def main(settings: Settings, *overrides: Provider) -> None:
    stop = stop_on_signals()
    container = ioc.make_container(settings, *overrides)
    try:
        startup = await container.get(StoreStartup)
        if await startup.bring_up(stop):
            await run_scheduler(settings, container, stop)
    finally:
        await container.close()
    log.info("scheduler stopped")
