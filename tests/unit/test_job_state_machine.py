from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
from taskforge_domain.job_status import (
    ALLOWED_TRANSITIONS,
    CLAIMABLE_STATUSES,
    TERMINAL_STATUSES,
    TIMED_STATUSES,
    WAITING_STATUSES,
    JobStatus,
)
from tests.unit.fakes import START, draw_highest

PENDING, SCHEDULED, QUEUED = JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.QUEUED
RUNNING, RETRYING = JobStatus.RUNNING, JobStatus.RETRYING
COMPLETED, DEAD, CANCELLED = JobStatus.COMPLETED, JobStatus.DEAD, JobStatus.CANCELLED

# The lifecycle as the README's "Job lifecycle" section draws it, written out apart from
# the domain's own table so that the test compares two independent statements of it.
DRAWN_TRANSITIONS = {
    PENDING: {QUEUED, RUNNING, SCHEDULED, CANCELLED},
    SCHEDULED: {QUEUED, CANCELLED},
    QUEUED: {RUNNING, SCHEDULED, CANCELLED},
    RUNNING: {COMPLETED, RETRYING, DEAD, CANCELLED},
    RETRYING: {QUEUED, CANCELLED},
    COMPLETED: set(),
    DEAD: {QUEUED},
    CANCELLED: set(),
}

LATER = START + timedelta(minutes=1)
RUN_AT = START + timedelta(hours=1)
LEASE = timedelta(seconds=35)
BACKOFF = FullJitterBackoff(
    base=timedelta(seconds=1), cap=timedelta(minutes=1), uniform=draw_highest
)


def move_to(source: JobStatus, target: JobStatus) -> Callable[[Job], Job]:
    """The operation that takes a job in `source` to `target`, when the lifecycle allows it."""
    if target is QUEUED and source is DEAD:
        return lambda job: job.replay(LATER, budget=2)
    if target is CANCELLED and source is RUNNING:
        return lambda job: job.cancelled_while_running(LATER)
    moves: dict[JobStatus, Callable[[Job], Job]] = {
        QUEUED: lambda job: job.enqueue(LATER),
        RUNNING: lambda job: job.start(LATER, LEASE),
        COMPLETED: lambda job: job.complete({"message": "pong"}, LATER),
        RETRYING: lambda job: job.fail("boom", LATER, BACKOFF),
        DEAD: lambda job: job.kill("boom", LATER),
        CANCELLED: lambda job: job.cancel(LATER),
        SCHEDULED: lambda job: job.hold_back(LATER + LEASE, LATER),
    }
    return moves[target]


PATH_TO: dict[JobStatus, tuple[JobStatus, ...]] = {
    PENDING: (),
    SCHEDULED: (),
    QUEUED: (QUEUED,),
    RUNNING: (QUEUED, RUNNING),
    COMPLETED: (QUEUED, RUNNING, COMPLETED),
    RETRYING: (QUEUED, RUNNING, RETRYING),
    DEAD: (QUEUED, RUNNING, DEAD),
    CANCELLED: (CANCELLED,),
}

REACHABLE_BY_AN_OPERATION = [QUEUED, RUNNING, COMPLETED, RETRYING, DEAD, CANCELLED]
LEGAL = [(source, target) for source, targets in DRAWN_TRANSITIONS.items() for target in targets]
ILLEGAL = [
    (source, target)
    for source in JobStatus
    for target in REACHABLE_BY_AN_OPERATION
    if target not in DRAWN_TRANSITIONS[source]
]


def jittered(fraction: float) -> FullJitterBackoff:
    """A backoff whose random source always lands `fraction` of the way up its range."""
    return FullJitterBackoff(
        base=timedelta(seconds=1),
        cap=timedelta(minutes=5),
        uniform=lambda low, high: low + fraction * (high - low),
    )


def submitted(
    max_attempts: int = 3,
    payload: dict[str, object] | None = None,
    run_at: datetime | None = None,
) -> Job:
    return Job.submit(
        job_id=uuid4(),
        job_type="ping",
        payload={"message": "hello"} if payload is None else payload,
        max_attempts=max_attempts,
        now=START,
        idempotency_key="key-1",
        run_at=run_at,
    )


def job_in(status: JobStatus, max_attempts: int = 3) -> Job:
    job = submitted(max_attempts, run_at=RUN_AT if status is SCHEDULED else None)
    source = job.status
    for step in PATH_TO[status]:
        job = move_to(source, step)(job)
        source = step
    assert job.status is status
    return job


def test_the_transition_table_is_the_one_the_readme_draws() -> None:
    assert {status: set(targets) for status, targets in ALLOWED_TRANSITIONS.items()} == (
        DRAWN_TRANSITIONS
    )


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=str)
def test_every_legal_transition_is_allowed(source: JobStatus, target: JobStatus) -> None:
    job = job_in(source)

    moved = move_to(source, target)(job)

    assert moved.status is target
    assert moved.updated_at == LATER
    assert moved.id == job.id


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=str)
def test_every_other_transition_is_refused(source: JobStatus, target: JobStatus) -> None:
    job = job_in(source)

    with pytest.raises(InvalidTransition) as refused:
        move_to(source, target)(job)

    assert (refused.value.current, refused.value.target) == (source.value, target.value)
    assert refused.value.job_id == job.id


def test_a_submitted_job_is_pending_with_no_attempt_yet() -> None:
    job = submitted()

    assert (job.status, job.attempt, job.run_at, job.lease_expires_at) == (PENDING, 0, START, None)
    assert (job.worker, job.cancel_requested_at, job.replays) == (None, None, 0)


def test_a_job_submitted_to_run_later_is_scheduled_until_its_run_at() -> None:
    job = submitted(run_at=RUN_AT)

    assert (job.status, job.attempt, job.run_at, job.created_at) == (SCHEDULED, 0, RUN_AT, START)


@pytest.mark.parametrize(
    "run_at", [START, START - timedelta(seconds=1), START - timedelta(days=3)], ids=str
)
def test_a_run_at_that_has_come_is_pending_and_runs_now(run_at: datetime) -> None:
    job = submitted(run_at=run_at)

    assert (job.status, job.run_at) == (PENDING, START)


def test_completed_dead_and_cancelled_are_the_terminal_statuses() -> None:
    assert {COMPLETED, DEAD, CANCELLED} == TERMINAL_STATUSES
    assert [status for status in JobStatus if status.is_terminal] == [COMPLETED, DEAD, CANCELLED]


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

    running = job.start(LATER, LEASE, worker="worker-7")

    assert running.status is RUNNING
    assert running.attempt == job.attempt + 1
    assert running.lease_expires_at == LATER + LEASE
    assert (running.started_at, running.worker) == (LATER, "worker-7")


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


def test_a_lost_attempt_is_retried_at_once_and_still_counts() -> None:
    running = job_in(RUNNING, max_attempts=3)

    retrying = running.lose_attempt("worker gone", LATER)

    assert (retrying.status, retrying.run_at, retrying.attempt) == (RETRYING, LATER, 1)
    assert (retrying.last_error, retrying.lease_expires_at) == ("worker gone", None)


def test_a_lost_last_attempt_is_dead_and_a_cancel_requested_meanwhile_wins() -> None:
    last = job_in(RETRYING, max_attempts=2).enqueue(LATER).start(LATER, LEASE)
    assert last.lose_attempt("worker gone", LATER).status is DEAD

    asked = job_in(RUNNING, max_attempts=3).request_cancel(LATER)
    assert asked.lose_attempt("worker gone", LATER).status is CANCELLED


def test_only_a_running_attempt_can_be_lost() -> None:
    with pytest.raises(InvalidTransition):
        job_in(QUEUED).lose_attempt("worker gone", LATER)


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


@pytest.mark.parametrize("source", [PENDING, SCHEDULED, QUEUED, RETRYING])
def test_a_waiting_job_is_cancelled_and_never_starts(source: JobStatus) -> None:
    job = job_in(source)

    cancelled = job.cancel(LATER)

    assert (cancelled.status, cancelled.attempt, cancelled.updated_at) == (
        CANCELLED,
        job.attempt,
        LATER,
    )
    assert cancelled.last_error == (job.last_error or "cancelled before it ran")
    assert cancelled.lease_expires_at is None
    with pytest.raises(InvalidTransition):
        cancelled.start(LATER, LEASE)


def test_a_running_job_is_not_cancelled_outright() -> None:
    running = job_in(RUNNING)

    with pytest.raises(InvalidTransition) as refused:
        running.cancel(LATER)

    assert (refused.value.current, refused.value.target) == ("running", "cancelled")


def test_asking_a_running_job_to_cancel_keeps_it_running_under_its_lease() -> None:
    running = job_in(RUNNING)

    asked = running.request_cancel(LATER)

    assert (asked.status, asked.attempt, asked.lease_expires_at) == (
        RUNNING,
        running.attempt,
        running.lease_expires_at,
    )
    assert (asked.cancel_requested_at, asked.updated_at) == (LATER, LATER)


@pytest.mark.parametrize("source", [PENDING, SCHEDULED, QUEUED, RETRYING, COMPLETED, DEAD])
def test_only_a_running_job_can_be_asked_to_cancel(source: JobStatus) -> None:
    with pytest.raises(InvalidTransition) as refused:
        job_in(source).request_cancel(LATER)

    assert refused.value.current == source.value


def test_an_attempt_cancelled_on_request_ends_cancelled_naming_the_attempt() -> None:
    running = job_in(RUNNING).request_cancel(LATER)

    cancelled = running.cancelled_while_running(LATER)

    assert (cancelled.status, cancelled.attempt, cancelled.lease_expires_at) == (
        CANCELLED,
        1,
        None,
    )
    assert cancelled.last_error == "cancelled on request while attempt 1 ran"


@pytest.mark.parametrize("source", [PENDING, QUEUED, RETRYING, COMPLETED, DEAD, CANCELLED])
def test_only_a_running_attempt_can_end_cancelled_on_request(source: JobStatus) -> None:
    with pytest.raises(InvalidTransition):
        job_in(source).cancelled_while_running(LATER)


def test_a_replayed_dead_job_is_queued_with_a_fresh_budget_and_its_history_kept() -> None:
    dead = job_in(DEAD, max_attempts=3)

    replayed = dead.replay(LATER, budget=4)

    assert (replayed.status, replayed.attempt, replayed.max_attempts) == (QUEUED, 1, 5)
    assert replayed.attempts_left == 4
    assert (replayed.replays, replayed.run_at, replayed.updated_at) == (1, LATER, LATER)
    assert replayed.last_error == dead.last_error


def test_each_replay_is_counted() -> None:
    once = job_in(DEAD).replay(LATER, budget=1)
    dead_again = once.start(LATER, LEASE).fail("still broken", LATER, BACKOFF)
    assert dead_again.status is DEAD

    twice = dead_again.replay(LATER, budget=1)

    assert (twice.replays, twice.attempt, twice.max_attempts) == (2, 2, 3)


@pytest.mark.parametrize("budget", [0, -1, 101])
def test_a_replay_outside_one_to_the_attempts_limit_is_refused(budget: int) -> None:
    with pytest.raises(ValueError, match="from 1 to 100 attempts"):
        job_in(DEAD).replay(LATER, budget)


@pytest.mark.parametrize("max_attempts", [0, 101])
def test_a_job_outside_one_to_the_attempts_limit_is_refused(max_attempts: int) -> None:
    with pytest.raises(ValueError, match="max_attempts must be from 1 to 100"):
        Job.submit(job_id=uuid4(), job_type="t", payload={}, max_attempts=max_attempts, now=START)


@pytest.mark.parametrize(
    "source", [PENDING, SCHEDULED, QUEUED, RUNNING, RETRYING, COMPLETED, CANCELLED]
)
def test_only_a_dead_job_can_be_replayed(source: JobStatus) -> None:
    with pytest.raises(InvalidTransition) as refused:
        job_in(source).replay(LATER, budget=3)

    assert (refused.value.current, refused.value.target) == (source.value, "queued")


def test_a_dead_job_is_queued_again_only_by_a_replay() -> None:
    with pytest.raises(InvalidTransition) as refused:
        job_in(DEAD).enqueue(LATER)

    assert (refused.value.current, refused.value.target) == ("dead", "queued")


def test_a_resubmission_with_the_same_type_and_payload_asks_for_the_same_job() -> None:
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
def test_a_resubmission_with_another_type_or_payload_asks_for_something_else(
    job_type: str, payload: dict[str, object]
) -> None:
    assert not submitted(payload={"a": 1}).asks_for_the_same_as(job_type, payload)


def test_a_resubmission_asking_for_other_max_attempts_asks_for_something_else() -> None:
    job = submitted(max_attempts=3)

    assert job.asks_for_the_same_as("ping", {"message": "hello"}, 3)
    assert not job.asks_for_the_same_as("ping", {"message": "hello"}, 4)


@pytest.mark.parametrize(
    ("first", "resubmission"),
    [({"fail": 1}, {"fail": True}), ({"n": 0}, {"n": False}), ({"x": [1]}, {"x": [True]})],
)
def test_json_true_and_one_are_different_payloads(
    first: dict[str, object], resubmission: dict[str, object]
) -> None:
    assert not submitted(payload=first).asks_for_the_same_as("ping", resubmission)


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


@dataclass(frozen=True)
class Step:
    """What one operation of the lifecycle is given: the time, and the draws it may use."""

    now: datetime
    lease: timedelta
    jitter: float
    budget: int


OPERATIONS: dict[str, Callable[[Job, Step], Job]] = {
    "enqueue": lambda job, step: job.enqueue(step.now),
    "start": lambda job, step: job.start(step.now, step.lease, worker="worker-1"),
    "complete": lambda job, step: job.complete({"ok": True}, step.now),
    "fail": lambda job, step: job.fail("boom", step.now, jittered(step.jitter)),
    "kill": lambda job, step: job.kill("cannot succeed", step.now),
    "cancel": lambda job, step: job.cancel(step.now),
    "request_cancel": lambda job, step: job.request_cancel(step.now),
    "cancelled_while_running": lambda job, step: job.cancelled_while_running(step.now),
    "replay": lambda job, step: job.replay(step.now, step.budget),
}
OPERATION_NAMES = sorted(OPERATIONS)


def spec_allows(operation: str, source: JobStatus) -> bool:
    """Whether the spec lets `operation` act on a job in `source`."""
    allowed = DRAWN_TRANSITIONS[source]
    return {
        "enqueue": QUEUED in allowed and source is not DEAD,
        "start": RUNNING in allowed,
        "complete": COMPLETED in allowed,
        "fail": source is RUNNING,
        "kill": DEAD in allowed,
        "cancel": CANCELLED in allowed and source is not RUNNING,
        "request_cancel": source is RUNNING,
        "cancelled_while_running": source is RUNNING,
        "replay": source is DEAD,
    }[operation]


JITTERS = st.floats(min_value=0.0, max_value=1.0)
MAX_ATTEMPTS = st.integers(min_value=1, max_value=3)
BUDGETS = st.integers(min_value=1, max_value=3)
ELAPSED = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=1))
LEASES = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=1))
DELAYS = st.timedeltas(min_value=timedelta(hours=-1), max_value=timedelta(hours=1))


class JobLifecycle(RuleBasedStateMachine):
    """Any sequence of operations either moves the job legally or is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.job = submitted()
        self.replays = 0

    def submit_new(self, max_attempts: int, delay: timedelta) -> None:
        self.job = Job.submit(
            job_id=uuid4(),
            job_type="ping",
            payload={},
            max_attempts=max_attempts,
            now=self.now,
            run_at=self.now + delay,
        )
        self.replays = 0
        assert self.job.status is (SCHEDULED if delay > timedelta(0) else PENDING)

    @initialize(max_attempts=MAX_ATTEMPTS, delay=DELAYS)
    def submit(self, max_attempts: int, delay: timedelta) -> None:
        self.submit_new(max_attempts, delay)

    @precondition(lambda machine: machine.job.status.is_terminal)
    @rule(max_attempts=MAX_ATTEMPTS, delay=DELAYS)
    def submit_another(self, max_attempts: int, delay: timedelta) -> None:
        self.submit_new(max_attempts, delay)

    @rule(
        operation=st.sampled_from(OPERATION_NAMES),
        elapsed=ELAPSED,
        lease=LEASES,
        jitter=JITTERS,
        budget=BUDGETS,
    )
    def operate(
        self, operation: str, elapsed: timedelta, lease: timedelta, jitter: float, budget: int
    ) -> None:
        self.apply(operation, elapsed, Step(self.now + elapsed, lease, jitter, budget))

    @precondition(lambda machine: machine.job.status not in {COMPLETED, CANCELLED})
    @rule(data=st.data(), elapsed=ELAPSED, lease=LEASES, jitter=JITTERS, budget=BUDGETS)
    def advance(
        self,
        data: st.DataObject,
        elapsed: timedelta,
        lease: timedelta,
        jitter: float,
        budget: int,
    ) -> None:
        allowed = [name for name in OPERATION_NAMES if spec_allows(name, self.job.status)]
        operation = data.draw(st.sampled_from(allowed), label="operation")
        self.apply(operation, elapsed, Step(self.now + elapsed, lease, jitter, budget))

    def apply(self, operation: str, elapsed: timedelta, step: Step) -> None:
        self.now += elapsed
        before = self.job
        after = outcome_of(lambda job: OPERATIONS[operation](job, step), before)
        if isinstance(after, InvalidTransition):
            assert not spec_allows(operation, before.status)
            assert after.current == before.status.value
            assert after.job_id == before.id
            return
        assert spec_allows(operation, before.status)
        if before.status.is_terminal:
            assert (before.status, operation, after.status) == (DEAD, "replay", QUEUED)
        if operation == "request_cancel":
            assert after.status is before.status is RUNNING
            assert after.cancel_requested_at == self.now
        else:
            assert after.status in DRAWN_TRANSITIONS[before.status]
        if operation == "replay":
            self.replays += 1
            assert after.max_attempts == before.attempt + step.budget
        else:
            assert after.max_attempts == before.max_attempts
        assert after.attempt == before.attempt + (1 if operation == "start" else 0)
        assert after.updated_at == self.now
        assert (after.id, after.created_at) == (before.id, before.created_at)
        self.job = after

    @invariant()
    def attempts_stay_within_max_attempts(self) -> None:
        assert 0 <= self.job.attempt <= self.job.max_attempts

    @invariant()
    def only_a_running_job_holds_a_lease(self) -> None:
        if self.job.status is RUNNING:
            assert self.job.started_at is not None
            assert self.job.lease_expires_at is not None
            assert self.job.lease_expires_at > self.job.started_at
        else:
            assert self.job.lease_expires_at is None

    @invariant()
    def a_failed_or_cancelled_job_says_why(self) -> None:
        if self.job.status in {RETRYING, DEAD, CANCELLED}:
            assert self.job.last_error
        if self.job.status is RETRYING:
            assert self.job.run_at >= self.job.updated_at

    @invariant()
    def only_a_started_job_has_finished(self) -> None:
        if self.job.status in {RUNNING, RETRYING, COMPLETED, DEAD}:
            assert self.job.attempt >= 1

    @invariant()
    def a_scheduled_job_has_never_run_and_waits_for_a_later_run_at(self) -> None:
        if self.job.status is SCHEDULED:
            assert self.job.attempt == 0
            assert self.job.run_at > self.job.created_at

    @invariant()
    def every_replay_is_counted(self) -> None:
        assert self.job.replays == self.replays


TestJobLifecycle = JobLifecycle.TestCase
TestJobLifecycle.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


def test_an_outcome_decided_again_after_a_cancel_request_follows_the_domain() -> None:
    backoff = FullJitterBackoff(timedelta(seconds=1), timedelta(minutes=1), lambda _, high: high)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    running = (
        Job.submit(job_id=uuid4(), job_type="t", payload={}, max_attempts=3, now=now)
        .enqueue(now)
        .start(now, timedelta(seconds=30))
    )
    asked = running.request_cancel(now)

    assert running.fail("e", now, backoff).decided_again(asked, now, backoff).status is (
        JobStatus.CANCELLED
    )
    assert running.complete(1, now).decided_again(asked, now, backoff).status is (
        JobStatus.COMPLETED
    )
    assert running.kill("e", now).decided_again(asked, now, backoff).status is JobStatus.DEAD
    with pytest.raises(InvalidTransition):
        running.fail("e", now, backoff).decided_again(asked.complete(1, now), now, backoff)


@pytest.mark.parametrize("status", list(JobStatus))
def test_only_a_completed_job_records_its_last_attempt_in_its_own_row(status: JobStatus) -> None:
    job = Job.submit(
        job_id=uuid4(),
        job_type="t",
        payload={},
        max_attempts=3,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert replace(job, status=status).attempt_recorded_in_row is (status is JobStatus.COMPLETED)


def test_the_status_groups_come_from_the_transition_table() -> None:
    assert {s for s in JobStatus if s.can_become(JobStatus.RUNNING)} == CLAIMABLE_STATUSES
    assert WAITING_STATUSES <= CLAIMABLE_STATUSES
    assert all(status.can_become(JobStatus.QUEUED) for status in TIMED_STATUSES)
