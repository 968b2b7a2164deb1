"""In-memory stand-ins for the ports: they satisfy the Protocols by shape, not by inheritance."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from taskforge_app.ports import (
    Attempt,
    ChannelUnavailable,
    DeadLetter,
    Delivery,
    JobQuery,
    LeaseRenewal,
    StoreUnavailable,
    UnstorablePayload,
    WorkerIdentity,
    WorkerSeen,
)
from taskforge_app.ports.api_keys import KeyNameTaken, StoredKey
from taskforge_app.ports.audit_trail import AuditEntry, AuditQuery
from taskforge_app.ports.backlog import InFlight, WaitingJobs
from taskforge_app.ports.dead_job_groups import ERROR_LINE_LENGTH, DeadJobGroup, DeadJobSummary
from taskforge_domain.job import Job
from taskforge_domain.job_limits import holds_nul
from taskforge_domain.job_status import (
    CLAIMABLE_STATUSES,
    TIMED_STATUSES,
    WAITING_STATUSES,
    JobStatus,
)
from tests.unit.payload_matching import contains, equals_at_path

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class EventLog:
    """Every write to the store and the queue, in the order it happened, across both fakes."""

    entries: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)

    def record(self, name: str, items: Iterable[object]) -> None:
        self.entries.append((name, tuple(items)))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.entries]


class FixedClock:
    """A Clock that only moves when a test advances it."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> None:
        self._now += by


def draw_highest(low: float, high: float) -> float:
    """A backoff random source that always picks the top of the range: delays are predictable."""
    return high


class InMemoryDeadJobGroups:
    """DeadJobGroups over an InMemoryJobRepository's jobs, grouped as PgDeadJobGroups does."""

    def __init__(self, store: "InMemoryJobRepository") -> None:
        self._store = store

    async def group_dead_jobs(
        self, window: int, top: int, queues: Collection[str] | None = None
    ) -> DeadJobSummary:
        self._store._answer()
        dead = sorted(
            (
                job
                for job in self._store.jobs.values()
                if job.status is JobStatus.DEAD and (queues is None or job.queue in queues)
            ),
            key=lambda job: job.updated_at,
            reverse=True,
        )[:window]
        by_type: dict[str, int] = {}
        by_error: dict[tuple[str, str], int] = {}
        for job in dead:
            error = (job.last_error or "").split("\n", 1)[0][:ERROR_LINE_LENGTH]
            by_type[job.job_type] = by_type.get(job.job_type, 0) + 1
            by_error[job.job_type, error] = by_error.get((job.job_type, error), 0) + 1
        types = sorted(by_type.items(), key=lambda item: (-item[1], item[0]))[:top]
        errors = sorted(by_error.items(), key=lambda item: (-item[1], item[0]))[:top]
        return DeadJobSummary(
            examined=len(dead),
            by_type=[DeadJobGroup(job_type, None, n) for job_type, n in types],
            by_error=[DeadJobGroup(job_type, error, n) for (job_type, error), n in errors],
        )


class InMemoryJobRepository:
    """Every store role in a dict. Each write applies the domain's own method (Job.start,
    Job.enqueue) under the same guard as PgJobRepository's statement; the contract suite
    runs the same scenarios against both."""

    def __init__(self, events: EventLog | None = None) -> None:
        self.jobs: dict[UUID, Job] = {}
        self.dead_lettered: dict[UUID, datetime] = {}
        self.history: dict[UUID, dict[int, Attempt]] = {}
        self.unavailable = False
        self.events = events if events is not None else EventLog()

    def put(self, *jobs: Job) -> None:
        """Arrange a stored state directly, without logging a write."""
        for job in jobs:
            self.jobs[job.id] = job

    def _answer(self) -> None:
        if self.unavailable:
            raise StoreUnavailable("connection refused")

    def _select(self, where: Callable[[Job], bool], order: Callable[[Job], Any]) -> list[Job]:
        return sorted((job for job in self.jobs.values() if where(job)), key=order)

    async def insert_many(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        self._answer()
        if any(holds_nul(job.payload) for job in jobs):
            raise UnstorablePayload("jsonb cannot hold \\u0000")
        stored: list[tuple[Job, bool]] = []
        for job in jobs:
            first = next(
                (
                    known
                    for known in self.jobs.values()
                    if job.idempotency_key is not None
                    and known.idempotency_key == job.idempotency_key
                ),
                None,
            )
            if first is None:
                self.jobs[job.id] = job
                self.events.record("store.insert", [job.id])
            stored.append((first, False) if first is not None else (job, True))
        return stored

    async def get(self, job_id: UUID) -> Job | None:
        self._answer()
        return self.jobs.get(job_id)

    async def mark_queued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        self._answer()
        marked = [i for i in job_ids if i in self.jobs and self.jobs[i].status is JobStatus.PENDING]
        for job_id in marked:
            self.jobs[job_id] = self.jobs[job_id].enqueue(now)
        self.events.record("store.mark_queued", marked)

    async def claim(
        self, job_ids: Sequence[UUID], now: datetime, lease: timedelta, worker: str
    ) -> list[Job]:
        self._answer()
        started: list[Job] = []
        for job_id in dict.fromkeys(job_ids):
            job = self.jobs.get(job_id)
            if job is None or job.status not in CLAIMABLE_STATUSES:
                continue
            job = job.start(now, lease, worker)
            self.jobs[job_id] = job
            started.append(job)
        self.events.record("store.claim", [job.id for job in started])
        return started

    def _holds(self, job_id: UUID, attempt: int) -> bool:
        stored = self.jobs.get(job_id)
        return (
            stored is not None and stored.status is JobStatus.RUNNING and stored.attempt == attempt
        )

    async def record_outcomes(
        self, outcomes: Sequence[Job], *, lease_expired_before: datetime | None = None
    ) -> set[UUID]:
        self._answer()
        written: set[UUID] = set()
        for outcome in outcomes:
            if not self._holds(outcome.id, outcome.attempt):
                continue
            stored = self.jobs[outcome.id]
            if (stored.cancel_requested_at is None) != (outcome.cancel_requested_at is None):
                continue
            if lease_expired_before is not None and not (
                stored.lease_expires_at is not None
                and stored.lease_expires_at < lease_expired_before
            ):
                continue
            finished = replace(
                stored,
                status=outcome.status,
                result=outcome.result,
                last_error=outcome.last_error,
                run_at=outcome.run_at,
                lease_expires_at=None,
                updated_at=outcome.updated_at,
                revision=stored.revision + 1,
            )
            self.jobs[outcome.id] = finished
            written.add(outcome.id)
            if finished.attempt_recorded_in_row:
                continue
            self.history.setdefault(outcome.id, {}).setdefault(
                finished.attempt,
                Attempt(
                    attempt=finished.attempt,
                    worker=finished.worker,
                    started_at=finished.started_at,
                    finished_at=finished.updated_at,
                    outcome=finished.status.value,
                    error=finished.last_error,
                ),
            )
        self.events.record("store.record_outcomes", sorted(written, key=str))
        return written

    async def running(self, job_ids: Sequence[UUID]) -> list[Job]:
        self._answer()
        found = (self.jobs.get(job_id) for job_id in dict.fromkeys(job_ids))
        return [job for job in found if job is not None and job.status is JobStatus.RUNNING]

    async def extend_leases(
        self, attempts: Sequence[tuple[UUID, int]], now: datetime, lease: timedelta
    ) -> LeaseRenewal:
        self._answer()
        held = {job_id for job_id, attempt in attempts if self._holds(job_id, attempt)}
        for job_id in held:
            self.jobs[job_id] = replace(self.jobs[job_id], lease_expires_at=now + lease)
        self.events.record("store.extend_leases", sorted(held, key=str))
        return LeaseRenewal(
            held=held,
            cancel_requested={i for i in held if self.jobs[i].cancel_requested_at is not None},
        )

    async def find_expired_leases(self, now: datetime, limit: int) -> list[Job]:
        self._answer()
        return self._select(
            lambda job: (
                job.status is JobStatus.RUNNING
                and job.lease_expires_at is not None
                and job.lease_expires_at < now
            ),
            lambda job: job.lease_expires_at,
        )[:limit]

    async def find_waiting(
        self, updated_before: datetime, limit: int, after: tuple[datetime, UUID] | None = None
    ) -> list[Job]:
        self._answer()
        return self._select(
            lambda job: (
                job.status in WAITING_STATUSES
                and job.updated_at < updated_before
                and (after is None or (job.updated_at, job.id) > after)
            ),
            lambda job: (job.updated_at, job.id),
        )[:limit]

    async def waiting_among(self, job_ids: Sequence[UUID]) -> list[Job]:
        self._answer()
        wanted = set(job_ids)
        return self._select(
            lambda job: job.id in wanted and job.status in WAITING_STATUSES,
            lambda job: job.id,
        )

    async def find_dead_not_lettered(self, updated_before: datetime, limit: int) -> list[Job]:
        self._answer()
        return self._select(
            lambda job: (
                job.status is JobStatus.DEAD
                and job.id not in self.dead_lettered
                and job.updated_at < updated_before
            ),
            lambda job: job.updated_at,
        )[:limit]

    async def mark_dead_lettered(self, job_ids: Sequence[UUID], now: datetime) -> None:
        self._answer()
        marked = [i for i in job_ids if i in self.jobs and self.jobs[i].status is JobStatus.DEAD]
        for job_id in marked:
            self.dead_lettered[job_id] = now
        self.events.record("store.mark_dead_lettered", marked)

    async def promote_due(self, now: datetime, limit: int) -> list[Job]:
        self._answer()
        due = self._select(
            lambda job: job.status in TIMED_STATUSES and job.run_at <= now,
            lambda job: job.run_at,
        )[:limit]
        promoted = [job.enqueue(now) for job in due]
        self.put(*promoted)
        self.events.record("store.promote_due", [job.id for job in promoted])
        return promoted

    async def replace(self, changed: Job, expected: Job) -> Job | None:
        self._answer()
        stored = self.jobs.get(expected.id)
        if (
            stored is None
            or stored.status is not expected.status
            or stored.attempt != expected.attempt
        ):
            self.events.record("store.replace", [])
            return None
        written = replace(
            stored,
            status=changed.status,
            max_attempts=changed.max_attempts,
            run_at=changed.run_at,
            last_error=changed.last_error,
            cancel_requested_at=changed.cancel_requested_at,
            replays=changed.replays,
            updated_at=changed.updated_at,
            revision=stored.revision + (stored.status is not changed.status),
        )
        self.jobs[written.id] = written
        if written.status is not JobStatus.DEAD:
            # Like the SQL: a job that leaves `dead` (a replay) needs a new letter if it
            # dies again.
            self.dead_lettered.pop(written.id, None)
        self.events.record("store.replace", [written.id])
        return written

    async def list_jobs(self, query: JobQuery) -> list[Job]:
        self._answer()
        error = query.error_contains.lower() if query.error_contains is not None else None

        def matches(job: Job) -> bool:
            return (
                (query.status is None or job.status is query.status)
                and (query.job_type is None or job.job_type == query.job_type)
                and (query.queue is None or job.queue == query.queue)
                and (query.queues is None or job.queue in query.queues)
                and (query.idempotency_key is None or job.idempotency_key == query.idempotency_key)
                and (query.created_after is None or job.created_at >= query.created_after)
                and (query.created_before is None or job.created_at < query.created_before)
                and (query.updated_after is None or job.updated_at >= query.updated_after)
                and (query.updated_before is None or job.updated_at < query.updated_before)
                and (
                    error is None
                    or (job.last_error is not None and error in job.last_error.lower())
                )
                and (
                    query.payload_contains is None or contains(job.payload, query.payload_contains)
                )
                and (
                    query.payload_equals is None
                    or equals_at_path(job.payload, query.payload_equals)
                )
                and (query.before is None or (job.created_at, job.id) < query.before)
            )

        newest_first = self._select(matches, lambda job: (job.created_at, job.id))[::-1]
        return newest_first[: query.limit]

    async def estimate_matching(self, query: JobQuery) -> int:
        """Exact here: a fake's table is small enough to count."""
        unpaged = replace(query, limit=len(self._jobs) + 1, before=None)
        return len(await self.list_jobs(unpaged))

    async def delete_finished(
        self, status: JobStatus, finished_before: datetime, limit: int
    ) -> int:
        self._answer()
        if not status.is_terminal:
            raise ValueError(f"only finished jobs are deleted, not {status.value} ones")
        doomed = [
            job.id
            for job in self.jobs.values()
            if job.status is status and job.updated_at < finished_before
        ][:limit]
        for job_id in doomed:
            del self.jobs[job_id]
            self.history.pop(job_id, None)
        self.events.record("store.delete_finished", doomed)
        return len(doomed)

    async def attempts(self, job_id: UUID) -> list[Attempt]:
        self._answer()
        recorded = self.history.get(job_id, {})
        return [recorded[number] for number in sorted(recorded)]

    async def waiting_jobs(self) -> Mapping[str, WaitingJobs]:
        self._answer()
        waiting: dict[str, list[Job]] = {}
        for job in self.jobs.values():
            if job.status in WAITING_STATUSES:
                waiting.setdefault(job.queue, []).append(job)
        return {
            queue: WaitingJobs(len(jobs), min(job.run_at for job in jobs))
            for queue, jobs in waiting.items()
        }

    async def ping(self) -> None:
        self._answer()


class FakeChannel:
    """The delivery channel's roles as lists: a work stream per queue read by a consumer
    group, and a dead-letter stream.

    Messages wait in `inbox` until received, then stay unacknowledged until acked;
    reclaim_idle takes over those received (or last taken over) at least min_idle_ms
    ago by `monotonic`, as Redis counts a pending entry's idle time. Dead letters stay in
    `dead_letters`; the dead-letter group reads them in order, and each one it handed
    out waits in `dead_unacked` until ack_dead.
    """

    def __init__(self, events: EventLog | None = None) -> None:
        self.published: list[Job] = []
        self.publish_calls: list[list[UUID]] = []
        self.dead_letters: list[DeadLetter] = []
        self.acked: list[str] = []
        self.inbox: list[Delivery] = []
        self.queue_of: dict[str, str] = {}
        self.reads: list[list[str]] = []
        self.arrived = asyncio.Event()
        self.blocks = False
        self.unacked: dict[str, Delivery] = {}
        self.owner: dict[str, str] = {}
        self.removed_consumers: list[str] = []
        self.monotonic: Callable[[], float] = time.monotonic
        self._received_at: dict[str, float] = {}
        self.groups_ensured = False
        self.unavailable = False
        self.events = events if events is not None else EventLog()
        self._next_message = 0
        self.dead_read = 0
        self.dead_unacked: dict[str, DeadLetter] = {}
        self.dead_acked: list[str] = []

    def _answer(self) -> None:
        if self.unavailable:
            raise ChannelUnavailable("redis is down")

    def deliver(self, *job_ids: UUID | None, queue: str = "normal") -> list[Delivery]:
        """Arrange messages on a queue's stream without logging a write; returns them."""
        deliveries = []
        for job_id in job_ids:
            self._next_message += 1
            delivery = Delivery(f"{self._next_message}-0", job_id, queue)
            self.queue_of[delivery.message_id] = queue
            deliveries.append(delivery)
        self.inbox.extend(deliveries)
        self.arrived.set()
        return deliveries

    def lose_everything(self) -> None:
        """What a Redis restart without persistence does to the streams."""
        self.inbox.clear()
        self.unacked.clear()
        self.owner.clear()

    @property
    def published_ids(self) -> list[UUID]:
        return [job.id for job in self.published]

    async def publish(self, jobs: Sequence[Job]) -> None:
        self._answer()
        self.published.extend(jobs)
        self.publish_calls.append([job.id for job in jobs])
        for job in jobs:
            self.deliver(job.id, queue=job.queue)
        self.events.record("queue.publish", [job.id for job in jobs])

    async def publish_dead(self, letters: Sequence[DeadLetter]) -> None:
        self._answer()
        self.dead_letters.extend(letters)
        self.events.record("queue.publish_dead", [letter.job_id for letter in letters])

    async def prepare(self) -> None:
        self._answer()
        self.groups_ensured = True

    async def receive(
        self, consumer: str, queues: Sequence[str], count: int, block_ms: int | None
    ) -> list[Delivery]:
        self._answer()
        self.reads.append(list(queues))
        if self.blocks and block_ms is not None and not self.inbox:
            # Like XREADGROUP BLOCK: wait for a message; a test stops the worker to end it.
            self.arrived.clear()
            await self.arrived.wait()
        taken: list[Delivery] = []
        for queue in queues:
            taken += [d for d in self.inbox if self.queue_of[d.message_id] == queue][
                : count - len(taken)
            ]
        self.inbox = [d for d in self.inbox if d not in taken]
        self.unacked.update((delivery.message_id, delivery) for delivery in taken)
        self.owner.update((delivery.message_id, consumer) for delivery in taken)
        self._received_at.update((delivery.message_id, self.monotonic()) for delivery in taken)
        return taken

    async def reclaim_idle(
        self, consumer: str, min_idle_ms: int, count: int, skip: Collection[str] = ()
    ) -> list[Delivery]:
        self._answer()
        now = self.monotonic()
        idle = [
            delivery
            for message_id, delivery in self.unacked.items()
            if (now - self._received_at.get(message_id, now)) * 1000 >= min_idle_ms
            and self.queue_of.get(message_id, "normal") not in skip
        ][:count]
        # Taken over: idle again from now, like XAUTOCLAIM.
        self._received_at.update((delivery.message_id, now) for delivery in idle)
        self.owner.update((delivery.message_id, consumer) for delivery in idle)
        return idle

    async def unacknowledged(self, consumer: str, count: int) -> list[Delivery]:
        self._answer()
        return [
            delivery
            for message_id, delivery in self.unacked.items()
            if self.owner.get(message_id) == consumer
        ][:count]

    async def remove_consumer(self, consumer: str) -> bool:
        self._answer()
        if consumer in self.owner.values():
            return False
        self.removed_consumers.append(consumer)
        return True

    async def ack(self, message_ids: Sequence[str]) -> None:
        self._answer()
        self.acked.extend(message_ids)
        for message_id in message_ids:
            self.unacked.pop(message_id, None)
            self.owner.pop(message_id, None)
            self._received_at.pop(message_id, None)
        self.inbox = [d for d in self.inbox if d.message_id not in set(message_ids)]
        self.events.record("queue.ack", message_ids)

    async def receive_dead(
        self, consumer: str, count: int, block_ms: int
    ) -> list[tuple[str, DeadLetter]]:
        self._answer()
        start, self.dead_read = self.dead_read, min(self.dead_read + count, len(self.dead_letters))
        taken = [
            (f"{number + 1}-0", self.dead_letters[number])
            for number in range(start, self.dead_read)
        ]
        self.dead_unacked.update(taken)
        return taken

    async def ack_dead(self, message_ids: Sequence[str]) -> None:
        self._answer()
        handled = [message_id for message_id in message_ids if message_id in self.dead_unacked]
        for message_id in handled:
            del self.dead_unacked[message_id]
        self.dead_acked.extend(handled)
        self.events.record("queue.ack_dead", handled)

    async def job_ids_in_transit(self) -> set[UUID]:
        self._answer()
        on_stream = [*self.inbox, *self.unacked.values()]
        return {delivery.job_id for delivery in on_stream if delivery.job_id is not None}

    async def in_flight(self, queues: Sequence[str]) -> dict[str, InFlight]:
        self._answer()
        held = [self.queue_of[message_id] for message_id in self.unacked]
        return {queue: InFlight(f"fake:{queue}", held.count(queue)) for queue in queues}

    async def ping(self) -> None:
        self._answer()


class RacingJobRepository(InMemoryJobRepository):
    """A store where something else writes just before an operator's compare-and-set.

    Each entry of `interleaved` runs once, in order, right before one call of `replace`.
    """

    def __init__(self, events: EventLog | None = None) -> None:
        super().__init__(events)
        self.interleaved: list[Callable[[], Awaitable[object]]] = []
        self.replace_calls = 0

    async def replace(self, changed: Job, expected: Job) -> Job | None:
        self.replace_calls += 1
        if self.interleaved:
            await self.interleaved.pop(0)()
        return await super().replace(changed, expected)


class ChurningJobRepository(InMemoryJobRepository):
    """A store whose jobs keep changing: the first `refusals` compare-and-sets find them moved."""

    def __init__(self, refusals: int, events: EventLog | None = None) -> None:
        super().__init__(events)
        self.refusals = refusals
        self.replace_calls = 0

    async def replace(self, changed: Job, expected: Job) -> Job | None:
        self.replace_calls += 1
        if self.refusals > 0:
            self.refusals -= 1
            return None
        return await super().replace(changed, expected)


class RecordingJobEvents:
    def __init__(self) -> None:
        self.submitted_jobs: list[Job] = []
        self.handled_types: list[str] = []
        self.finished_jobs: list[Job] = []
        self.fenced_jobs: list[Job] = []

    def submitted(self, jobs: Sequence[Job]) -> None:
        self.submitted_jobs.extend(jobs)

    def handled(self, job_type: str, seconds: float) -> None:
        assert seconds >= 0
        self.handled_types.append(job_type)

    def finished(self, jobs: Sequence[Job]) -> None:
        self.finished_jobs.extend(jobs)

    def fenced(self, jobs: Sequence[Job]) -> None:
        self.fenced_jobs.extend(jobs)

    @property
    def outcomes(self) -> list[tuple[str, JobStatus]]:
        return [(job.job_type, job.status) for job in self.finished_jobs]


class ManualTimer:
    """A Timer that only moves when a test advances it; sleepers wake as their time comes."""

    def __init__(self) -> None:
        self._now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._now + seconds, woken)
        self._sleepers.append(entry)
        try:
            await woken
        finally:
            self._sleepers.remove(entry)

    @property
    def sleeping(self) -> int:
        return len(self._sleepers)

    async def advance(self, seconds: float) -> None:
        self._now += seconds
        for due, woken in list(self._sleepers):
            if due <= self._now and not woken.done():
                woken.set_result(None)
        await settle()


class JumpingTimer:
    """A Timer where time passes exactly as fast as the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def settle() -> None:
    """Let every task that can run, run, until all wait on something outside the loop's
    ready queue (a test's event, the timer, a fake's arrival)."""
    for _ in range(100):
        await asyncio.sleep(0)


class InMemoryWorkerPresence:
    """The workers table as a dict, on the clock it is given (the store's own), cutting
    the leases of a name's attempts in the job store it is given, as the real one does
    in the same database."""

    def __init__(self, jobs: InMemoryJobRepository, clock: FixedClock) -> None:
        self.workers: dict[str, WorkerSeen] = {}
        self._jobs = jobs
        self._clock = clock
        self.unavailable = False

    def _answer(self) -> None:
        if self.unavailable:
            raise StoreUnavailable("postgres is down")

    def _cut_leases(self, names: set[str], to: datetime) -> None:
        for job in list(self._jobs.jobs.values()):
            if job.status is JobStatus.RUNNING and job.worker in names:
                expires = to if job.lease_expires_at is None else min(job.lease_expires_at, to)
                self._jobs.put(replace(job, lease_expires_at=expires))

    async def register(self, worker: WorkerIdentity, liveness: timedelta) -> WorkerSeen:
        self._answer()
        now = self._clock.now()
        held = self.workers.get(worker.name)
        if (
            held is not None
            and held.incarnation != worker.incarnation
            and held.retired_at is None
            and held.last_seen_at >= now - liveness
        ):
            return held
        seen = WorkerSeen(
            worker.name,
            worker.incarnation,
            worker.host,
            worker.pid,
            worker.queues,
            now,
            now,
            0,
            queue_weights=worker.queue_weights,
        )
        self.workers[worker.name] = seen
        self._cut_leases({worker.name}, now)
        return seen

    async def announce(self, worker: WorkerIdentity, in_flight: int) -> bool:
        self._answer()
        held = self.workers.get(worker.name)
        if held is None or held.incarnation != worker.incarnation or held.retired_at:
            return False
        self.workers[worker.name] = replace(
            held, last_seen_at=self._clock.now(), in_flight=in_flight
        )
        return True

    async def live(self, liveness: timedelta) -> list[WorkerSeen]:
        self._answer()
        since = self._clock.now() - liveness
        return sorted(
            (w for w in self.workers.values() if w.retired_at is None and w.last_seen_at >= since),
            key=lambda w: w.name,
        )

    async def retire_silent(self, liveness: timedelta, cut_leases_to: datetime) -> list[WorkerSeen]:
        self._answer()
        since = self._clock.now() - liveness
        for name, held in list(self.workers.items()):
            if held.retired_at is None and held.last_seen_at < since:
                self.workers[name] = replace(held, retired_at=self._clock.now())
        retired = sorted(
            (w for w in self.workers.values() if w.retired_at is not None), key=lambda w: w.name
        )
        self._cut_leases({w.name for w in retired}, cut_leases_to)
        return retired

    async def forget(self, workers: Sequence[WorkerSeen]) -> None:
        self._answer()
        for worker in workers:
            held = self.workers.get(worker.name)
            if held and held.incarnation == worker.incarnation and held.retired_at:
                del self.workers[worker.name]

    async def leave(self, worker: WorkerIdentity) -> None:
        self._answer()
        held = self.workers.get(worker.name)
        if held and held.incarnation == worker.incarnation:
            del self.workers[worker.name]


class InMemoryAuditTrail:
    """The audit trail as a list, ids given in order like the store's identity column."""

    def __init__(self) -> None:
        self.entries_recorded: list[AuditEntry] = []

    async def record(self, entry: AuditEntry) -> None:
        self.entries_recorded.append(replace(entry, id=len(self.entries_recorded) + 1))

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        found = [
            entry
            for entry in reversed(self.entries_recorded)
            if (query.actor is None or entry.actor == query.actor)
            and (query.action is None or entry.action == query.action)
            and (query.job_id is None or query.job_id in entry.job_ids)
            and (query.after is None or entry.at >= query.after)
            and (query.before is None or entry.at < query.before)
            and (query.below_id is None or (entry.id or 0) < query.below_id)
        ]
        return found[: query.limit]

    async def forget_before(self, cutoff: datetime, limit: int) -> int:
        old = [entry for entry in self.entries_recorded if entry.at < cutoff][:limit]
        self.entries_recorded = [e for e in self.entries_recorded if e not in old]
        return len(old)


class InMemoryApiKeys:
    def __init__(self) -> None:
        self.keys: dict[str, StoredKey] = {}

    async def add(self, key: StoredKey) -> None:
        if key.name in self.keys:
            raise KeyNameTaken(key.name)
        self.keys[key.name] = key

    async def by_key_id(self, key_id: str) -> StoredKey | None:
        return next((key for key in self.keys.values() if key.key_id == key_id), None)

    async def all_keys(self) -> list[StoredKey]:
        return sorted(self.keys.values(), key=lambda key: (key.created_at, key.name))

    async def revoke(self, name: str, at: datetime) -> StoredKey | None:
        key = self.keys.get(name)
        if key is None:
            return None
        if key.revoked_at is None:
            key = self.keys[name] = replace(key, revoked_at=at)
        return key
