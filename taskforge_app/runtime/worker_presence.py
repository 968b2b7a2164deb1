"""A worker's presence: holding its name, then announcing every interval that it lives."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from taskforge_app.ports import WorkerIdentity, WorkerPresence
from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge.worker")

_REPEAT_WAITING_LOG_EVERY = 30.0


@dataclass(frozen=True, slots=True)
class PresenceOptions:
    heartbeat: timedelta
    """How often a worker announces itself."""
    liveness: timedelta
    """How long a worker may stay silent before it is taken for gone."""


async def hold_name(
    presence: WorkerPresence,
    worker: WorkerIdentity,
    options: PresenceOptions,
    stop: asyncio.Event,
    timer: Timer = REAL_TIME,
) -> bool:
    """Take the worker's name, waiting while a live worker holds it: after a crash, the
    name's earlier run is silent within the liveness; a name that stays held belongs to
    another live process, and running both would hand one's attempts to the other.
    False when stopped first."""
    logged_at: float | None = None
    while not stop.is_set():
        try:
            holder = await presence.register(worker, options.liveness)
        except OUTAGES as exc:
            log.warning("cannot register worker %s yet, retrying: %s", worker.name, exc)
        else:
            if holder.incarnation == worker.incarnation:
                return True
            if logged_at is None or timer.monotonic() - logged_at >= _REPEAT_WAITING_LOG_EVERY:
                logged_at = timer.monotonic()
                log.warning(
                    "worker name %s is held by a live worker (host %s, pid %d, last seen %s); "
                    "waiting until it has been silent for %s. If that worker runs, give this "
                    "one another WORKER_CONSUMER_NAME",
                    worker.name,
                    holder.host,
                    holder.pid,
                    holder.last_seen_at.isoformat(),
                    options.liveness,
                )
        if await sleep_unless_stopped(stop, options.heartbeat.total_seconds() / 2, timer):
            return False
    return False


async def keep_announcing(
    presence: WorkerPresence,
    worker: WorkerIdentity,
    in_flight: Callable[[], int],
    options: PresenceOptions,
    stop: asyncio.Event,
    timer: Timer = REAL_TIME,
) -> None:
    """Announce the worker every heartbeat until stopped. A worker found retired was
    silent for too long (a stalled process, a cut-off network): its attempts went to
    others, whose outcomes win; it takes its name again and goes on."""
    while not await sleep_unless_stopped(stop, options.heartbeat.total_seconds(), timer):
        try:
            if await presence.announce(worker, in_flight()):
                continue
        except OUTAGES as exc:
            log.warning("cannot announce worker %s: %s", worker.name, exc)
            continue
        log.error(
            "worker %s was taken for gone after %s of silence; its attempts were handed "
            "to other workers. Registering again",
            worker.name,
            options.liveness,
        )
        await hold_name(presence, worker, options, stop, timer)
