"""The backlog views a metrics scrape reads: StoreBacklog and ChannelBacklog."""

from datetime import timedelta

import pytest

from taskforge_app.ports.backlog import WaitingJobs
from taskforge_domain.job_status import JobStatus
from tests.contracts.builders import NOW, finished, new_job, queued, started, submitted
from tests.contracts.conftest import BacklogUnderTest, ChannelBacklogUnderTest

pytestmark = pytest.mark.contract

LATER = NOW + timedelta(minutes=5)


async def test_waiting_jobs_are_the_pending_and_queued_ones_by_queue_with_the_oldest_run_at(
    store_backlog: BacklogUnderTest,
) -> None:
    store = store_backlog.store
    await submitted(store, queue="high", at=LATER)
    await queued(store, queue="high", at=NOW)
    await queued(store, queue="low", at=LATER)
    # Neither waits for a worker: one waits for its run_at, one runs.
    await submitted(store, queue="low", run_at=LATER + timedelta(hours=1))
    await started(store, queue="normal")

    waiting = await store_backlog.backlog.waiting_jobs()

    assert dict(waiting) == {
        "high": WaitingJobs(2, NOW),
        "low": WaitingJobs(1, LATER),
    }


@pytest.mark.parametrize(
    "status", [JobStatus.COMPLETED, JobStatus.DEAD, JobStatus.CANCELLED, JobStatus.RETRYING]
)
async def test_finished_attempts_are_not_waiting(
    store_backlog: BacklogUnderTest, status: JobStatus
) -> None:
    await finished(store_backlog.store, status)

    assert dict(await store_backlog.backlog.waiting_jobs()) == {}


async def test_in_flight_counts_received_and_unacknowledged_messages_per_queue(
    channel_backlog: ChannelBacklogUnderTest,
) -> None:
    channel, backlog = channel_backlog.channel, channel_backlog.backlog
    queues = ["high", "normal", "low"]
    assert {q: f.count for q, f in (await backlog.in_flight(queues)).items()} == dict.fromkeys(
        queues, 0
    )
    await channel.publish([new_job(), new_job(), new_job(queue="high")])
    normal = await channel.receive("worker-1", ["normal"], 10, None)
    await channel.receive("worker-1", ["high"], 10, None)
    await channel.ack([normal[0].message_id])

    in_flight = await backlog.in_flight(queues)

    assert {q: f.count for q, f in in_flight.items()} == {"high": 1, "normal": 1, "low": 0}
    assert len({f.where for f in in_flight.values()}) == 3, "each queue is held apart"
