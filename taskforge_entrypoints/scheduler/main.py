import asyncio
import logging

from dishka import AsyncContainer, Provider

from taskforge_app.audit_log import PurgeAudit
from taskforge_app.deliver_webhooks import DeliverWebhooks
from taskforge_app.fire_schedules import FireSchedules
from taskforge_app.ports.clock import Clock
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.purge_finished_jobs import PurgeFinishedJobs
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.recover_silent_workers import RecoverSilentWorkers
from taskforge_app.repair_delivery import RepairDelivery
from taskforge_app.runtime.enqueue_relay_loop import EnqueueRelay, run_enqueue_relay
from taskforge_app.runtime.outages import until_available
from taskforge_app.runtime.schedule_loop import run_schedule_loop
from taskforge_app.runtime.scheduler_loop import (
    SchedulerIntervals,
    SchedulerTasks,
    run_scheduler_loop,
)
from taskforge_app.runtime.webhook_loop import run_webhook_loop
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
    # The scheduler relays jobs enqueued in SQL: every deployment runs one (`taskforge run`,
    # compose, a worker's own), it already owns the timed publishing of jobs, and APIs and
    # `worker --no-scheduler` processes scale out without adding listeners.
    relay = await container.get(EnqueueRelay)
    loops = [
        run_scheduler_loop(tasks, intervals, stop),
        run_enqueue_relay(relay, settings.retry_scheduler_interval.total_seconds(), stop),
    ]
    fire_schedules = await container.get(FireSchedules)
    loops.append(run_schedule_loop(fire_schedules, await container.get(Clock), stop))
    if settings.webhooks.enabled:
        log.info("scheduler delivering completion webhooks every %s", settings.webhooks.interval)
        deliver = await container.get(DeliverWebhooks)
        loops.append(run_webhook_loop(deliver, settings.webhooks.interval, stop))
    await asyncio.gather(*loops)


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
