import asyncio
import logging

from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.ports import JobQueue
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_entrypoints import ioc
from taskforge_entrypoints.lifecycle import stop_on_signals, until_available
from taskforge_entrypoints.scheduler.retry_scheduler import run_retry_scheduler
from taskforge_entrypoints.settings import Settings
from taskforge_entrypoints.worker.handler_modules import import_handler_modules
from taskforge_entrypoints.worker.worker_loop import WorkerLoop, WorkerOptions

log = logging.getLogger("taskforge.worker")


async def run_worker(settings: Settings, *, with_scheduler: bool) -> None:
    import_handler_modules(settings.handler_modules)
    stop = stop_on_signals()
    container = ioc.make_container(settings)
    try:
        if (
            await until_available(lambda: ioc.apply_migrations(settings), stop, "migrations")
            is None
        ):
            return
        registry = await container.get(HandlerRegistry)
        loop = WorkerLoop(
            await container.get(JobQueue),
            await container.get(ClaimJobs),
            await container.get(RunJob),
            await container.get(RecordOutcomes),
            WorkerOptions(
                consumer=settings.worker_consumer_name,
                concurrency=settings.worker_concurrency,
                batch_size=settings.worker_batch_size,
                block=settings.worker_block_timeout,
                shutdown_grace=settings.worker_shutdown_grace,
            ),
        )
        log.info(
            "worker %s serving job types %s",
            settings.worker_consumer_name,
            ", ".join(registry.job_types),
        )
        tasks = [loop.run(stop)]
        if with_scheduler:
            promote = await container.get(PromoteDueRetries)
            tasks.append(run_retry_scheduler(promote, settings.retry_scheduler_interval, stop))
        await asyncio.gather(*tasks)
    finally:
        await container.close()
    log.info("worker %s stopped", settings.worker_consumer_name)
