"""Queue-limited callers in the use cases, the audit entries of operator writes, and
the submit admission."""

from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.admit_submissions import AdmitSubmissions, SubmitRate, SubmitRateExceeded
from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.cancel_job import CancelJob
from taskforge_app.get_job import GetJob
from taskforge_app.list_jobs import GetAttempts, ListJobs
from taskforge_app.ports import JobQuery
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_app.replay_dead_jobs import ReplayDeadJobs
from taskforge_app.submit_jobs import SubmitDefaults
from taskforge_domain.access import Forbidden, Grant, Scope
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import (
    START,
    FakeChannel,
    FixedClock,
    InMemoryAuditTrail,
    InMemoryJobRepository,
)

HIGH_OPERATOR = Caller(
    "ops-high", Grant(frozenset({Scope.OPERATE, Scope.READ}), frozenset({"high"})), "req-7"
)


def waiting(queue: str) -> Job:
    return Job.submit(
        job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START, queue=queue
    ).enqueue(START)


def dead(queue: str, job_type: str = "ping") -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type=job_type, payload={}, max_attempts=1, now=START, queue=queue
    )
    return job.start(START, timedelta(seconds=30)).kill("boom", START)


async def test_a_job_outside_the_caller_s_queues_is_not_found(jobs: InMemoryJobRepository) -> None:
    high, normal = waiting("high"), waiting("normal")
    jobs.put(high, normal)
    assert (await GetJob(jobs)(high.id, HIGH_OPERATOR)).id == high.id
    with pytest.raises(JobNotFound):
        await GetJob(jobs)(normal.id, HIGH_OPERATOR)
    with pytest.raises(JobNotFound):
        await GetAttempts(jobs)(normal.id, HIGH_OPERATOR)
    assert (await GetJob(jobs)(normal.id)).id == normal.id


async def test_listings_hold_only_the_caller_s_queues(jobs: InMemoryJobRepository) -> None:
    jobs.put(waiting("high"), waiting("normal"), waiting("low"))
    listed = await ListJobs(jobs)(JobQuery(limit=10), HIGH_OPERATOR)
    assert [job.queue for job in listed] == ["high"]
    assert len(await ListJobs(jobs)(JobQuery(limit=10), ANONYMOUS)) == 3
    with pytest.raises(Forbidden, match="access to queue low"):
        await ListJobs(jobs)(JobQuery(limit=10, queue="low"), HIGH_OPERATOR)


async def test_a_cancel_is_recorded_with_who_asked_and_what_became_of_the_job(
    jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    audit = InMemoryAuditTrail()
    job = waiting("high")
    jobs.put(job)
    await CancelJob(jobs, clock, audit)(job.id, HIGH_OPERATOR)
    [entry] = audit.entries_recorded
    assert (entry.actor, entry.action, entry.job_ids) == ("ops-high", "job.cancel", (job.id,))
    assert entry.details == {"status": "cancelled"}
    assert entry.request_id == "req-7"
    assert entry.at == clock.now()


async def test_a_cancel_outside_the_caller_s_queues_changes_and_records_nothing(
    jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    audit = InMemoryAuditTrail()
    job = waiting("normal")
    jobs.put(job)
    with pytest.raises(JobNotFound):
        await CancelJob(jobs, clock, audit)(job.id, HIGH_OPERATOR)
    assert (await jobs.get(job.id)).status is JobStatus.QUEUED  # type: ignore[union-attr]
    assert audit.entries_recorded == []


async def test_a_bulk_replay_records_one_entry_with_its_filter_and_count(
    jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    audit = InMemoryAuditTrail()
    mine, theirs = dead("high", "mail"), dead("normal", "mail")
    jobs.put(mine, theirs)
    replay = ReplayDeadJob(jobs, FakeChannel(), clock, SubmitDefaults(max_attempts=3), audit)
    bulk = ReplayDeadJobs(ListJobs(jobs), replay, audit, clock)
    dry = await bulk(
        JobQuery(limit=10, job_type="mail"), dry_run=True, limit=10, caller=HIGH_OPERATOR
    )
    assert dry.matched == 1
    assert audit.entries_recorded == []
    done = await bulk(
        JobQuery(limit=10, job_type="mail"), dry_run=False, limit=10, caller=HIGH_OPERATOR
    )
    assert done.job_ids == [mine.id]
    [entry] = audit.entries_recorded
    assert entry.action == "job.replay_bulk"
    assert entry.job_ids == (mine.id,)
    assert entry.details == {
        "filter": {"job_type": "mail", "queues": ["high"]},
        "matched": 1,
        "replayed": 1,
        "limit": 10,
    }
    assert (await jobs.get(theirs.id)).status is JobStatus.DEAD  # type: ignore[union-attr]


class CountingQuota:
    def __init__(self, wait: float | None) -> None:
        self.wait = wait
        self.taken: list[tuple[str, int, int]] = []

    async def take(self, holder: str, jobs: int, per_second: int) -> float | None:
        self.taken.append((holder, jobs, per_second))
        return self.wait


SUBMITTER = Caller("feeder", Grant(frozenset({Scope.SUBMIT}), frozenset({"low"})))


async def test_submissions_must_name_the_caller_s_queues_before_they_count() -> None:
    quota = CountingQuota(None)
    admit = AdmitSubmissions(quota, SubmitRate(10))
    await admit(SUBMITTER, ["low"], 3)
    with pytest.raises(Forbidden, match="access to queue normal"):
        await admit(SUBMITTER, ["low", "normal"], 2)
    assert quota.taken == [("feeder", 3, 10)]


async def test_a_full_window_refuses_with_the_wait_and_anonymous_callers_are_not_counted() -> None:
    quota = CountingQuota(0.25)
    admit = AdmitSubmissions(quota, SubmitRate(10))
    with pytest.raises(
        SubmitRateExceeded, match="this key may submit 10 jobs per second"
    ) as refused:
        await admit(SUBMITTER, ["low"], 1)
    assert refused.value.retry_after == 0.25
    with pytest.raises(SubmitRateExceeded, match="a batch of 11 jobs never fits"):
        await admit(SUBMITTER, ["low"], 11)
    await admit(ANONYMOUS, ["normal"], 50)
    # As the access guard makes it for each call with API_AUTH=off: its own request id.
    await admit(Caller(ANONYMOUS.name, ANONYMOUS.grant, "req-1"), ["normal"], 50)
    await AdmitSubmissions(quota, SubmitRate(None))(SUBMITTER, ["low"], 50)
    assert [taken[1] for taken in quota.taken] == [1, 11]
