"""The dead letters' groups count only the dead jobs of the queues the caller's key covers."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from taskforge_app.callers import Caller
from taskforge_app.group_dead_jobs import GroupDeadJobs
from taskforge_app.ports.dead_job_groups import DeadJobGroup
from taskforge_domain.access import Grant, Scope
from taskforge_domain.job import Job
from tests.unit.fakes import InMemoryDeadJobGroups, InMemoryJobRepository

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def dead(queue: str, error: str) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type="render", payload={}, max_attempts=1, now=NOW, queue=queue
    )
    running = job.enqueue(NOW).start(NOW, timedelta(seconds=30), "w1")
    return running.kill(error, NOW + timedelta(seconds=1))


async def test_a_queue_limited_key_sees_the_groups_of_its_queues_alone() -> None:
    store = InMemoryJobRepository()
    store.put(dead("high", "timeout"), dead("low", "secret customer 42 refused"))
    group = GroupDeadJobs(InMemoryDeadJobGroups(store))
    limited = Caller("ui-high", Grant(frozenset({Scope.READ}), frozenset({"high"})))

    mine = await group(limited)
    everything = await group()

    assert (mine.examined, mine.by_error) == (1, [DeadJobGroup("render", "timeout", 1)])
    assert everything.examined == 2
