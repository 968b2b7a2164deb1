import asyncio
import logging
import os
import socket
from uuid import uuid4

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.extend_leases import ExtendLeases
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.ports import ConsumerTakeover, WorkConsumer, WorkerIdentity, WorkerPresence
from taskforge_app.ports.queue_pauses import QueuePauses
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_app.runtime.outages import OUTAGES, until_available
from taskforge_app.runtime.pause_gate import PauseGate
from taskforge_app.runtime.queue_choice import WeightedQueueChoice
from taskforge_app.runtime.queue_reader import QueueReader
from taskforge_app.runtime.worker_loop import WorkerLoop, WorkerOptions
from taskforge_app.runtime.worker_presence import PresenceOptions, hold_name
from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.process.lifecycle import stop_on_signals
from taskforge_entrypoints.process.metrics_server import serving_metrics
from taskforge_entrypoints.process.presence_thread import announcing_presence
from taskforge_entrypoints.process.store_startup import StoreStartup
from taskforge_entrypoints.scheduler.main import run_scheduler
from taskforge_entrypoints.worker.handler_modules import import_handler_modules

log = logging.getLogger("taskforge.worker")


async def run_worker(settings: Settings, *, with_scheduler: bool) -> None:
    import_handler_modules(settings.handler_modules)
    stop = stop_on_signals()
    container = ioc.make_container(settings)
    try:
        metrics = await container.get(CollectorRegistry)
        async with serving_metrics(settings.worker_metrics_addr, metrics):
            await _serve(container, settings, stop, with_scheduler=with_scheduler)
    finally:
        await container.close()
    log.info("worker %s stopped", settings.worker_consumer_name)


async def _serve(
    container: AsyncContainer, settings: Settings, stop: asyncio.Event, *, with_scheduler: bool
) -> None:
    startup = await container.get(StoreStartup)
    if not await startup.bring_up(stop):
        return
    parts = [_work(container, settings, stop)]
    if with_scheduler:
        parts.append(run_scheduler(settings, container, stop))
    await asyncio.gather(*parts)


async def _work(container: AsyncContainer, settings: Settings, stop: asyncio.Event) -> None:
    presence = await container.get(WorkerPresence)
    me = WorkerIdentity(
        name=settings.worker_consumer_name,
        incarnation=uuid4(),
        host=socket.gethostname(),
        pid=os.getpid(),
        queues=tuple(settings.worker_queues),
        queue_weights=tuple(settings.worker_queues.values()),
    )
    options = PresenceOptions(settings.worker_heartbeat_interval, settings.worker_liveness)
    if not await hold_name(presence, me, options, stop):
        return
    running: list[WorkerLoop] = []
    try:
        # Announcing from the moment the name is held: waiting for Redis here must not
        # make this worker look gone.
        with announcing_presence(settings, me, lambda: sum(w.in_flight for w in running), options):
            loop = await until_available(
                lambda: _worker_loop(container, settings), stop, "connecting"
            )
            if loop is None:
                return
            running.append(loop)
            registry = await container.get(HandlerRegistry)
            log.info(
                "worker %s serving job types %s",
                settings.worker_consumer_name,
                ", ".join(registry.job_types),
            )
            await loop.run(stop)
    finally:
        await _leave(container, me)


async def _leave(container: AsyncContainer, me: WorkerIdentity) -> None:
    """Give the name up at once on a clean stop, rather than after the liveness, and drop
    the consumer if it left nothing unacknowledged (a drain cut short leaves messages,
    which a scheduler hands on)."""
    try:
        await (await container.get(WorkerPresence)).leave(me)
        await (await container.get(ConsumerTakeover)).remove_consumer(me.name)
    except OUTAGES as exc:
        log.warning("worker %s could not sign off; it times out instead: %s", me.name, exc)


async def _worker_loop(container: AsyncContainer, settings: Settings) -> WorkerLoop:
    consumer = await container.get(WorkConsumer)
    gate = PauseGate(await container.get(QueuePauses))
    return WorkerLoop(
        consumer,
        QueueReader(consumer, WeightedQueueChoice(settings.worker_queues), gate),
        await container.get(ClaimJobs),
        await container.get(RunJob),
        await container.get(RecordOutcomes),
        await container.get(ExtendLeases),
        WorkerOptions(
            consumer=settings.worker_consumer_name,
            concurrency=settings.worker_concurrency,
            batch_size=settings.worker_batch_size,
            block=settings.worker_block_timeout,
            lease=settings.worker_lease,
            shutdown_grace=settings.worker_shutdown_grace,
        ),
        gate=gate,
    )
