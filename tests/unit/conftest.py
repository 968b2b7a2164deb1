from datetime import timedelta

import pytest

from taskforge_app.builtin_handlers import register_builtin_handlers
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_domain.backoff import FullJitterBackoff
from tests.unit.fakes import (
    EventLog,
    FakeChannel,
    FixedClock,
    InMemoryJobRepository,
    RecordingJobEvents,
    draw_highest,
)


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def jobs(events: EventLog) -> InMemoryJobRepository:
    return InMemoryJobRepository(events)


@pytest.fixture
def queue(events: EventLog) -> FakeChannel:
    return FakeChannel(events)


@pytest.fixture
def backoff() -> FullJitterBackoff:
    return FullJitterBackoff(
        base=timedelta(seconds=1), cap=timedelta(minutes=1), uniform=draw_highest
    )


@pytest.fixture
def policy(backoff: FullJitterBackoff) -> ExecutionPolicy:
    return ExecutionPolicy(
        timeout=timedelta(seconds=5), lease=timedelta(seconds=30), backoff=backoff
    )


@pytest.fixture
def registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    register_builtin_handlers(registry)
    return registry


@pytest.fixture
def recorded() -> RecordingJobEvents:
    return RecordingJobEvents()
