import inspect

import pytest

from taskforge_app import ports
from taskforge_app.ports.backlog import ChannelBacklog, StoreBacklog
from taskforge_app.ports.dead_job_groups import DeadJobGroups
from taskforge_app.ports.queue_pauses import QueuePauses, RunningAttempts
from taskforge_app.ports.schedules import ClaimedSchedules, DueSchedules, ScheduleStore
from tests.unit.enqueue_relay_fakes import FakeRelayBatch, FakeWakeups, InMemoryEnqueuedJobs
from tests.unit.fakes import (
    FakeChannel,
    FixedClock,
    InMemoryDeadJobGroups,
    InMemoryJobRepository,
    InMemoryWorkerPresence,
)
from tests.unit.queue_pause_fakes import InMemoryQueuePauses
from tests.unit.schedule_fakes import Claimed, InMemorySchedules

STORE_ROLES = [
    ports.JobIntake,
    ports.JobLookup,
    ports.JobRevisions,
    ports.AttemptLedger,
    ports.DeliveryRecords,
    ports.DeadLetterRecords,
    ports.FinishedJobs,
    ports.Probe,
    StoreBacklog,
]
CHANNEL_ROLES = [
    ports.WorkPublisher,
    ports.WorkConsumer,
    ports.ConsumerTakeover,
    ports.MessagesInTransit,
    ports.DeadLetterPublisher,
    ports.DeadLetterFollower,
    ports.Probe,
    ChannelBacklog,
]

ENQUEUE_RELAY_ROLES: list[tuple[type, type]] = [
    (ports.EnqueuedJobs, InMemoryEnqueuedJobs),
    (ports.RelayBatch, FakeRelayBatch),
    (ports.EnqueueWakeups, FakeWakeups),
]


def port_methods(port: type) -> list[str]:
    return sorted(
        name
        for name, member in vars(port).items()
        if not name.startswith("_") and inspect.isfunction(member)
    )


@pytest.mark.parametrize(
    ("port", "fake"),
    [
        *((role, InMemoryJobRepository) for role in STORE_ROLES),
        *((role, FakeChannel) for role in CHANNEL_ROLES),
        (ports.Clock, FixedClock),
        (ports.WorkerPresence, InMemoryWorkerPresence),
        *ENQUEUE_RELAY_ROLES,
        (QueuePauses, InMemoryQueuePauses),
        (RunningAttempts, InMemoryQueuePauses),
        (ScheduleStore, InMemorySchedules),
        (DueSchedules, InMemorySchedules),
        (ClaimedSchedules, Claimed),
        (DeadJobGroups, InMemoryDeadJobGroups),
    ],
    ids=[
        *(f"store-{role.__name__}" for role in STORE_ROLES),
        *(f"channel-{role.__name__}" for role in CHANNEL_ROLES),
        "Clock",
        "WorkerPresence",
        *(role.__name__ for role, _ in ENQUEUE_RELAY_ROLES),
        "QueuePauses",
        "RunningAttempts",
        "ScheduleStore",
        "DueSchedules",
        "ClaimedSchedules",
        "DeadJobGroups",
    ],
)
def test_each_fake_offers_every_method_of_its_port_with_the_same_signature(
    port: type, fake: type
) -> None:
    for name in port_methods(port):
        expected, offered = getattr(port, name), getattr(fake, name)
        assert inspect.signature(offered) == inspect.signature(expected), name
        assert inspect.iscoroutinefunction(offered) == inspect.iscoroutinefunction(expected), name


def test_every_port_of_the_application_has_a_fake_role_here() -> None:
    protocols = {
        value
        for value in vars(ports).values()
        if isinstance(value, type) and getattr(value, "_is_protocol", False)
    }
    assert protocols | {StoreBacklog, ChannelBacklog} == {
        *STORE_ROLES,
        *CHANNEL_ROLES,
        ports.Clock,
        ports.WorkerPresence,
        *(role for role, _ in ENQUEUE_RELAY_ROLES),
    }
