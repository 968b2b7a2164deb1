import pytest

from taskforge_app.check_readiness import CheckReadiness
from tests.unit.fakes import FakeChannel, InMemoryJobRepository


@pytest.fixture
def check(jobs: InMemoryJobRepository, queue: FakeChannel) -> CheckReadiness:
    return CheckReadiness({"postgres": jobs, "redis": queue})


async def test_ready_when_the_store_and_the_queue_answer(check: CheckReadiness) -> None:
    readiness = await check()

    assert readiness.ready
    assert readiness.failures == {}


async def test_a_store_that_does_not_answer_is_named(
    check: CheckReadiness, jobs: InMemoryJobRepository
) -> None:
    jobs.unavailable = True

    readiness = await check()

    assert not readiness.ready
    assert readiness.failures == {"postgres": "connection refused"}


async def test_a_queue_that_does_not_answer_is_named(
    check: CheckReadiness, queue: FakeChannel
) -> None:
    queue.unavailable = True

    readiness = await check()

    assert not readiness.ready
    assert readiness.failures == {"redis": "redis is down"}


async def test_both_failing_dependencies_are_named(
    check: CheckReadiness, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    jobs.unavailable = True
    queue.unavailable = True

    readiness = await check()

    assert set(readiness.failures) == {"postgres", "redis"}


class SilentlyBrokenQueue(FakeChannel):
    async def ping(self) -> None:
        raise ConnectionResetError


async def test_a_failure_without_a_message_is_named_by_its_type(
    jobs: InMemoryJobRepository,
) -> None:
    readiness = await CheckReadiness({"postgres": jobs, "redis": SilentlyBrokenQueue()})()

    assert readiness.failures == {"redis": "ConnectionResetError"}
