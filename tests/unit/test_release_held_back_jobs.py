"""Releasing held-back jobs: one per freed slot of their type and queue, and a rate's next
starts when they are due, with one timer per limit at a time."""

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import uuid4

from taskforge_app.ports.unavailable import StoreUnavailable
from taskforge_app.release_held_back_jobs import FREED_PAGE, ReleaseHeldBackJobs
from taskforge_domain.job import Job
from taskforge_domain.limit_budget import LimitScope, RateWait
from tests.unit.fakes import FakeChannel, FixedClock

EVERY = timedelta(milliseconds=1)


def job(job_type: str = "render", queue: str = "low") -> Job:
    return Job.submit(
        job_id=uuid4(),
        job_type=job_type,
        payload={},
        max_attempts=3,
        now=FixedClock().now(),
        queue=queue,
    )


class FakeHeldBackJobs:
    def __init__(self) -> None:
        self.slots: list[tuple[dict[str, int], dict[str, int]]] = []
        self.starts: list[tuple[LimitScope, str, int]] = []
        self.released = asyncio.Event()
        self.down = False
        self.waiting_for_rate = 3

    async def release_slots(
        self, by_type: Mapping[str, int], by_queue: Mapping[str, int], now: datetime
    ) -> list[Job]:
        if self.down:
            raise StoreUnavailable("postgres is down")
        self.slots.append((dict(by_type), dict(by_queue)))
        return [job()]

    async def release_all(
        self, scope: LimitScope, key: str, count: int, now: datetime
    ) -> list[Job]:
        return []

    async def release_starts(
        self, scope: LimitScope, key: str, count: int, now: datetime
    ) -> list[Job]:
        self.starts.append((scope, key, count))
        self.released.set()
        taken = min(count, self.waiting_for_rate)
        self.waiting_for_rate -= taken
        return [job() for _ in range(taken)]


async def test_ended_attempts_release_one_job_per_slot_of_their_type_and_queue() -> None:
    held, channel = FakeHeldBackJobs(), FakeChannel()
    release = ReleaseHeldBackJobs(held, channel, FixedClock())

    released = await release.after_attempts_ended(
        [job("render", "low"), job("render", "high"), job("ping", "low")]
    )

    assert held.slots == [({"render": 2, "ping": 1}, {"low": 2, "high": 1})]
    assert released == 1
    assert len(channel.published) == 1


async def test_a_release_the_store_refuses_is_left_to_the_promote_pass() -> None:
    held, channel = FakeHeldBackJobs(), FakeChannel()
    held.down = True

    released = await ReleaseHeldBackJobs(held, channel, FixedClock()).after_attempts_ended([job()])

    assert released == 0
    assert channel.published == []


async def test_one_timer_per_rate_releases_its_starts_when_due() -> None:
    held, channel, clock = FakeHeldBackJobs(), FakeChannel(), FixedClock()
    release = ReleaseHeldBackJobs(held, channel, clock)
    due = clock.now() + timedelta(milliseconds=5)

    release.when_starts_due([RateWait(LimitScope.QUEUE, "low", due, 3, EVERY)])
    # A later wait for the same limit is covered by the timer already set.
    release.when_starts_due(
        [RateWait(LimitScope.QUEUE, "low", due + timedelta(seconds=1), 9, EVERY)]
    )
    async with asyncio.timeout(5):
        await held.released.wait()

    assert held.starts == [(LimitScope.QUEUE, "low", 3)]
    assert len(channel.published) == 3


async def test_a_rate_release_whose_jobs_all_start_releases_the_next_ones_one_start_later() -> None:
    held, channel, clock = FakeHeldBackJobs(), FakeChannel(), FixedClock()
    held.waiting_for_rate = 5
    release = ReleaseHeldBackJobs(held, channel, clock)

    # None of the released jobs is held back again (none calls when_starts_due): the
    # release itself looks again while a whole page came out.
    release.when_starts_due([RateWait(LimitScope.JOB_TYPE, "render", clock.now(), 2, EVERY)])
    async with asyncio.timeout(5):
        while held.waiting_for_rate or len(held.starts) < 3:
            held.released.clear()
            await held.released.wait()

    assert [count for _, _, count in held.starts] == [2, 2, 2]
    assert len(channel.published) == 5


async def test_the_release_after_a_removed_limit_stops_at_jobs_held_back_again() -> None:
    class HeldAgainByTheirOtherLimit(FakeHeldBackJobs):
        """Every page hands back the same oldest jobs: their type's limit holds them back
        again as soon as they are released."""

        def __init__(self) -> None:
            super().__init__()
            self.pages = 0
            self.oldest = [job() for _ in range(FREED_PAGE)]

        async def release_all(
            self, scope: LimitScope, key: str, count: int, now: datetime
        ) -> list[Job]:
            self.pages += 1
            return self.oldest[:count]

    held, channel = HeldAgainByTheirOtherLimit(), FakeChannel()
    release = ReleaseHeldBackJobs(held, channel, FixedClock())

    async with asyncio.timeout(5):
        released = await release.after_limit_removed(LimitScope.QUEUE, "low")

    assert released == FREED_PAGE
    assert held.pages == 2
