import asyncio
import logging

from dishka import AsyncContainer, Provider

from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.purge_finished_jobs import PurgeFinishedJobs
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.repair_delivery import RepairDelivery
from taskforge_app.runtime.outages import until_available
from taskforge_app.runtime.scheduler_loop import SchedulerTasks, run_scheduler_loop
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
    )


async def run_scheduler(settings: Settings, container: AsyncContainer, stop: asyncio.Event) -> None:
    tasks = await until_available(lambda: scheduler_tasks(container), stop, "connecting")
    if tasks is None:
        return
    log.info(
        "scheduler running every %s, repairing every %s",
        settings.retry_scheduler_interval,
        settings.repair_interval,
    )
    await run_scheduler_loop(
        tasks, settings.retry_scheduler_interval, settings.repair_interval, stop
    )


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
