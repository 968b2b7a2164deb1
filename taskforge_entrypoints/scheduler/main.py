import logging

from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_entrypoints import ioc
from taskforge_entrypoints.lifecycle import stop_on_signals, until_available
from taskforge_entrypoints.scheduler.retry_scheduler import run_retry_scheduler
from taskforge_entrypoints.settings import Settings

log = logging.getLogger("taskforge.scheduler")


async def run_scheduler(settings: Settings) -> None:
    stop = stop_on_signals()
    container = ioc.make_container(settings)
    try:
        if (
            await until_available(lambda: ioc.apply_migrations(settings), stop, "migrations")
            is None
        ):
            return
        promote = await until_available(
            lambda: container.get(PromoteDueRetries), stop, "connecting"
        )
        if promote is not None:
            log.info("scheduler running every %s", settings.retry_scheduler_interval)
            await run_retry_scheduler(promote, settings.retry_scheduler_interval, stop)
    finally:
        await container.close()
    log.info("scheduler stopped")
