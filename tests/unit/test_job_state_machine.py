from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.errors import InvalidTransition
from taskforge_domain.job import Job
from taskforge_domain.job_status import ALLOWED_TRANSITIONS, JobStatus
from tests.unit.fakes import START, draw_highest

PENDING, QUEUED, RUNNING = JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING
RETRYING, COMPLETED, DEAD = JobStatus.RETRYING, JobStatus.COMPLETED, JobStatus.DEAD

SPEC_TRANSITIONS = {
    PENDING: {QUEUED, RUNNING},
    QUEUED: {RUNNING},
    RUNNING: {COMPLETED, RETRYING, DEAD},
    RETRYING: {QUEUED},
    COMPLETED: set(),
    DEAD: set(),
}

LATER = START + timedelta(minutes=1)
LEASE = timedelta(seconds=35)
BACKOFF = FullJitterBackoff(
    base=timedelta(seconds=1), cap=timedelta(minutes=1), uniform=draw_highest
)

MOVE_TO: dict[JobStatus, Callable[[Job], Job]] = {
    QUEUED: lambda job: job.enqueue(LATER),
    RUNNING: lambda job: job.start(LATER, LEASE),
    COMPLETED: lambda job: job.complete({"message": "pong"}, LATER),
    RETRYING: lambda job: job.fail("boom", LATER, BACKOFF),
    DEAD: lambda job: job.kill("boom", LATER),
}

PATH_TO = {
    PENDING: (),
    QUEUED: (QUEUED,),
    RUNNING: (QUEUED, RUNNING),
    COMPLETED: (QUEUED, RUNNING, COMPLETED),
    RETRYING: (QUEUED, RUNNING, RETRYING),
    DEAD: (QUEUED, RUNNING, DEAD),
}

LEGAL = [(source, target) for source, targets in SPEC_TRANSITIONS.items() for target in targets]
ILLEGAL = [
    (source, target)
    for source in JobStatus
    for target in MOVE_TO
    if target not in SPEC_TRANSITIONS[source]
]


def jittered(fraction: float) -> FullJitterBackoff:
    """A backoff whose random source always lands `fraction` of the way up its range."""
    return FullJitterBackoff(
        base=timedelta(seconds=1),
        cap=timedelta(minutes=5),
        uniform=lambda low, high: low + fraction * (high - low),
    )


def submitted(max_attempts: int = 3, payload: dict[str, object] | None = None) -> Job:
    return Job.submit(
        job_id=uuid4(),
        job_type="ping",
        payload={"message": "hello"} if payload is None else payload,
        max_attempts=max_attempts,
        now=START,
        idempotency_key="key-1",
    )


def job_in(status: JobStatus, max_attempts: int = 3) -> Job:
    job = submitted(max_attempts)
    for step in PATH_TO[status]:
        job = MOVE_TO[step](job)
    assert job.status is status
    return job


def test_the_transition_table_is_the_one_the_spec_draws() -> None:
    assert {status: set(targets) for status, targets in ALLOWED_TRANSITIONS.items()} == (
        SPEC_TRANSITIONS
    )


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=str)
def test_every_legal_transition_is_allowed(source: JobStatus, target: JobStatus) -> None:
    job = job_in(source)

    moved = MOVE_TO[target](job)

    assert moved.status is target
    assert moved.updated_at == LATER
    assert moved.id == job.id


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=str)
def test_every_other_transition_is_refused(source: JobStatus, target: JobStatus) -> None:
    job = job_in(source)

    with pytest.raises(InvalidTransition) as refused:
        MOVE_TO[target](job)

    assert (refused.value.current, refused.value.target) == (source.value, target.value)
    assert refused.value.job_id == job.id


def test_a_submitted_job_is_pending_with_no_attempt_yet() -> None:
    job = submitted()

    assert (job.status, job.attempt, job.run_at, job.lease_expires_at) == (PENDING, 0, START, None)


@pytest.mark.parametrize(("job_type", "max_attempts"), [("", 3), ("ping", 0), ("ping", -1)])
def test_a_submission_without_job_type_or_attempts_is_refused(
    job_type: str, max_attempts: int
) -> None:
    with pytest.raises(ValueError, match=r"job_type|max_attempts"):
        Job.submit(
            job_id=uuid4(), job_type=job_type, payload={}, max_attempts=max_attempts, now=START
        )


def test_enqueue_keeps_the_attempt_count() -> None:
    queued = job_in(PENDING).enqueue(LATER)

    assert (queued.status, queued.attempt, queued.lease_expires_at) == (QUEUED, 0, None)


@pytest.mark.parametrize("source", [PENDING, QUEUED])
def test_start_counts_the_attempt_and_takes_a_lease(source: JobStatus) -> None:
    job = job_in(source)

    running = job.start(LATER, LEASE)

    assert running.status is RUNNING
    assert running.attempt == job.attempt + 1
    assert running.lease_expires_at == LATER + LEASE


def test_complete_keeps_the_result_and_releases_the_lease() -> None:
    running = job_in(RUNNING)

    completed = running.complete({"message": "pong"}, LATER)

    assert completed.result == {"message": "pong"}
    assert (completed.lease_expires_at, completed.last_error) == (None, None)
    assert completed.attempt == running.attempt


def test_fail_with_attempts_left_retries_after_the_backoff() -> None:
    running = job_in(RUNNING, max_attempts=3)

    retrying = running.fail("boom", LATER, BACKOFF)

    assert retrying.status is RETRYING
    assert retrying.last_error == "boom"
    assert retrying.run_at == LATER + BACKOFF.ceiling(running.attempt)
    assert retrying.lease_expires_at is None
    assert retrying.attempt == running.attempt


def test_a_retrying_job_is_queued_again_with_its_attempts_kept() -> None:
    retrying = job_in(RETRYING)

    queued = retrying.enqueue(LATER)

    assert (queued.status, queued.attempt, queued.last_error) == (QUEUED, 1, "boom")


def test_fail_on_the_last_attempt_is_dead() -> None:
    job = job_in(RETRYING, max_attempts=2).enqueue(LATER).start(LATER, LEASE)
    assert job.attempts_left == 0

    dead = job.fail("still broken", LATER, BACKOFF)

    assert (dead.status, dead.attempt, dead.last_error) == (DEAD, 2, "still broken")
    assert dead.lease_expires_at is None


def test_fail_of_a_single_attempt_job_is_dead_at_once() -> None:
    assert job_in(RUNNING, max_attempts=1).fail("boom", LATER, BACKOFF).status is DEAD


def test_kill_is_dead_at_once_whatever_attempts_are_left() -> None:
    running = job_in(RUNNING, max_attempts=5)

    dead = running.kill("cannot succeed", LATER)

    assert (dead.status, dead.attempt, dead.last_error) == (DEAD, 1, "cannot succeed")
    assert dead.lease_expires_at is None


def test_a_replay_with_the_same_type_and_payload_asks_for_the_same_job() -> None:
    job = submitted(payload={"a": 1, "b": {"c": [1, 2]}})

    assert job.asks_for_the_same_as("ping", {"b": {"c": [1, 2]}, "a": 1})


@pytest.mark.parametrize(
    ("job_type", "payload"),
    [
        ("fail", {"a": 1}),
        ("ping", {"a": 2}),
        ("ping", {"a": 1, "b": None}),
        ("ping", {}),
        ("ping", {"a": [1]}),
    ],
)
def test_a_replay_with_another_type_or_payload_asks_for_something_else(
    job_type: str, payload: dict[str, object]
) -> None:
    assert not submitted(payload={"a": 1}).asks_for_the_same_as(job_type, payload)


def test_a_replay_asking_for_other_max_attempts_asks_for_something_else() -> None:
    job = submitted(max_attempts=3)

    assert job.asks_for_the_same_as("ping", {"message": "hello"}, 3)
    assert not job.asks_for_the_same_as("ping", {"message": "hello"}, 4)


@pytest.mark.parametrize(
    ("first", "replay"),
    [({"fail": 1}, {"fail": True}), ({"n": 0}, {"n": False}), ({"x": [1]}, {"x": [True]})],
)
def test_json_true_and_one_are_different_payloads(
    first: dict[str, object], replay: dict[str, object]
) -> None:
    assert not submitted(payload=first).asks_for_the_same_as("ping", replay)


@settings(max_examples=40, deadline=None)
@given(
    max_attempts=st.integers(min_value=1, max_value=8),
    jitters=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=8, max_size=8),
)
def test_a_job_failing_every_attempt_is_dead_after_exactly_max_attempts(
    max_attempts: int, jitters: list[float]
) -> None:
    job, now, starts = submitted(max_attempts), START, 0
    while job.status is not DEAD:
        job = job.enqueue(now).start(now, LEASE)
        starts += 1
        job = job.fail(f"attempt {starts} failed", now, jittered(jitters[starts - 1]))
        assert job.run_at >= now
        now = job.run_at

    assert starts == job.attempt == max_attempts
    assert job.last_error == f"attempt {max_attempts} failed"


def outcome_of(operation: Callable[[Job], Job], job: Job) -> Job | InvalidTransition:
    try:
        return operation(job)
    except InvalidTransition as refused:
        return refused


OPERATIONS: dict[str, Callable[[Job, datetime, timedelta, float], Job]] = {
    "enqueue": lambda job, now, lease, jitter: job.enqueue(now),
    "start": lambda job, now, lease, jitter: job.start(now, lease),
    "complete": lambda job, now, lease, jitter: job.complete({"ok": True}, now),
    "fail": lambda job, now, lease, jitter: job.fail("boom", now, jittered(jitter)),
    "kill": lambda job, now, lease, jitter: job.kill("cannot succeed", now),
}
OPERATION_NAMES = sorted(OPERATIONS)
JITTERS = st.floats(min_value=0.0, max_value=1.0)
MAX_ATTEMPTS = st.integers(min_value=1, max_value=3)
ELAPSED = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=1))
LEASES = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=1))


class JobLifecycle(RuleBasedStateMachine):
    """Any sequence of operations either moves the job legally or is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.job = submitted()

    @initialize(max_attempts=MAX_ATTEMPTS)
    def submit(self, max_attempts: int) -> None:
        self.job = submitted(max_attempts)

    @precondition(lambda machine: machine.job.status in {COMPLETED, DEAD})
    @rule(max_attempts=MAX_ATTEMPTS)
    def submit_another(self, max_attempts: int) -> None:
        self.job = submitted(max_attempts)

    def apply(self, elapsed: timedelta, operation: Callable[[Job], Job]) -> None:
        self.now += elapsed
        before = self.job
        after = outcome_of(operation, before)
        if isinstance(after, InvalidTransition):
            assert after.current == before.status.value
            assert JobStatus(after.target) not in SPEC_TRANSITIONS[before.status]
            return
        assert before.status not in {COMPLETED, DEAD}
        assert after.status in SPEC_TRANSITIONS[before.status]
        assert after.attempt >= before.attempt
        assert after.updated_at == self.now
        self.job = after

    @rule(operation=st.sampled_from(OPERATION_NAMES), elapsed=ELAPSED, lease=LEASES, jitter=JITTERS)
    def operate(self, operation: str, elapsed: timedelta, lease: timedelta, jitter: float) -> None:
        self.apply(elapsed, lambda job: OPERATIONS[operation](job, self.now, lease, jitter))

    @invariant()
    def attempts_stay_within_max_attempts(self) -> None:
        assert 0 <= self.job.attempt <= self.job.max_attempts

    @invariant()
    def only_a_running_job_holds_a_lease(self) -> None:
        if self.job.status is RUNNING:
            assert self.job.lease_expires_at is not None
            assert self.job.lease_expires_at > self.job.updated_at
        else:
            assert self.job.lease_expires_at is None

    @invariant()
    def a_failed_job_says_why(self) -> None:
        if self.job.status in {RETRYING, DEAD}:
            assert self.job.last_error
        if self.job.status is RETRYING:
            assert self.job.run_at >= self.job.updated_at

    @invariant()
    def only_a_started_job_has_finished(self) -> None:
        if self.job.status in {RUNNING, RETRYING, COMPLETED, DEAD}:
            assert self.job.attempt >= 1


TestJobLifecycle = JobLifecycle.TestCase
TestJobLifecycle.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
