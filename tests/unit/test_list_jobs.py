from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskforge_app.claim_jobs import Claimed
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.list_jobs import GetAttempts, ListJobs
from taskforge_app.ports import JobQuery
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, FakeChannel, FixedClock, InMemoryJobRepository, draw_highest

LEASE = timedelta(seconds=30)
BACKOFF = FullJitterBackoff(timedelta(seconds=1), timedelta(minutes=1), draw_highest)


def created(
    minutes: int,
    job_type: str = "ping",
    idempotency_key: str | None = None,
    job_id: UUID | None = None,
) -> Job:
    return Job.submit(
        job_id=job_id or uuid4(),
        job_type=job_type,
        payload={},
        max_attempts=3,
        now=START + timedelta(minutes=minutes),
        idempotency_key=idempotency_key,
    )


def ids(jobs: list[Job]) -> list[UUID]:
    return [job.id for job in jobs]


async def page_through(list_jobs: ListJobs, query: JobQuery) -> list[list[Job]]:
    pages: list[list[Job]] = []
    while True:
        page = await list_jobs(query)
        pages.append(page)
        if len(page) < query.limit:
            return pages
        query = replace(query, before=(page[-1].created_at, page[-1].id))


class Catalogue:
    """Six jobs created a minute apart, in every kind of state an operator looks for."""

    def __init__(self, jobs: InMemoryJobRepository) -> None:
        self.queued = created(0).enqueue(START)
        self.dead_timeout = created(1, "resize").start(START, LEASE).kill("Upstream TIMEOUT", START)
        self.dead_refused = created(2, "resize").start(START, LEASE).kill("403 refused", START)
        self.retrying = (
            created(3, idempotency_key="order-7")
            .start(START, LEASE)
            .fail("socket timeout after 2s", START, BACKOFF)
        )
        self.cancelled = created(4).cancel(START)
        self.completed = created(5, "resize").start(START, LEASE).complete("ok", START)
        jobs.put(
            self.queued,
            self.dead_timeout,
            self.dead_refused,
            self.retrying,
            self.cancelled,
            self.completed,
        )

    @property
    def newest_first(self) -> list[Job]:
        return [
            self.completed,
            self.cancelled,
            self.retrying,
            self.dead_refused,
            self.dead_timeout,
            self.queued,
        ]


@pytest.fixture
def catalogue(jobs: InMemoryJobRepository) -> Catalogue:
    return Catalogue(jobs)


@pytest.fixture
def list_jobs(jobs: InMemoryJobRepository) -> ListJobs:
    return ListJobs(jobs)


async def test_jobs_are_listed_newest_first(list_jobs: ListJobs, catalogue: Catalogue) -> None:
    assert await list_jobs(JobQuery(limit=50)) == catalogue.newest_first


async def test_a_page_holds_at_most_the_limit(list_jobs: ListJobs, catalogue: Catalogue) -> None:
    assert await list_jobs(JobQuery(limit=2)) == catalogue.newest_first[:2]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (JobQuery(limit=50, status=JobStatus.DEAD), ["dead_refused", "dead_timeout"]),
        (JobQuery(limit=50, job_type="resize"), ["completed", "dead_refused", "dead_timeout"]),
        (JobQuery(limit=50, idempotency_key="order-7"), ["retrying"]),
        (JobQuery(limit=50, job_type="resize", status=JobStatus.COMPLETED), ["completed"]),
        (JobQuery(limit=50, status=JobStatus.SCHEDULED), []),
        (JobQuery(limit=50, job_type="unknown"), []),
    ],
    ids=["status", "job_type", "idempotency_key", "combined", "no-status-match", "no-type-match"],
)
async def test_filters_keep_only_the_jobs_matching_all_of_them(
    list_jobs: ListJobs, catalogue: Catalogue, query: JobQuery, expected: list[str]
) -> None:
    assert ids(await list_jobs(query)) == [getattr(catalogue, name).id for name in expected]


async def test_the_created_range_includes_its_start_and_excludes_its_end(
    list_jobs: ListJobs, catalogue: Catalogue
) -> None:
    query = JobQuery(
        limit=50,
        created_after=START + timedelta(minutes=1),
        created_before=START + timedelta(minutes=4),
    )

    assert await list_jobs(query) == [
        catalogue.retrying,
        catalogue.dead_refused,
        catalogue.dead_timeout,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timeout", ["retrying", "dead_timeout"]),
        ("TimeOut", ["retrying", "dead_timeout"]),
        ("refused", ["dead_refused"]),
        ("cancelled before", ["cancelled"]),
        ("nothing like this", []),
    ],
)
async def test_the_error_filter_finds_text_in_last_error_whatever_its_case(
    list_jobs: ListJobs, catalogue: Catalogue, text: str, expected: list[str]
) -> None:
    found = await list_jobs(JobQuery(limit=50, error_contains=text))

    assert ids(found) == [getattr(catalogue, name).id for name in expected]


async def test_the_error_filter_with_status_dead_finds_dead_jobs_only(
    list_jobs: ListJobs, catalogue: Catalogue
) -> None:
    query = JobQuery(limit=50, status=JobStatus.DEAD, error_contains="timeout")

    assert await list_jobs(query) == [catalogue.dead_timeout]


async def test_pages_follow_one_another_from_where_the_last_one_ended(
    list_jobs: ListJobs, catalogue: Catalogue
) -> None:
    pages = await page_through(list_jobs, JobQuery(limit=4))

    assert pages == [catalogue.newest_first[:4], catalogue.newest_first[4:]]


async def test_a_job_created_while_paging_neither_repeats_nor_hides_a_job(
    list_jobs: ListJobs, jobs: InMemoryJobRepository, catalogue: Catalogue
) -> None:
    first = await list_jobs(JobQuery(limit=3))
    jobs.put(created(10))

    second = await list_jobs(JobQuery(limit=3, before=(first[-1].created_at, first[-1].id)))

    assert first + second == catalogue.newest_first


@settings(max_examples=40, deadline=None)
@given(
    minutes=st.lists(st.integers(min_value=0, max_value=3), min_size=0, max_size=15),
    limit=st.integers(min_value=1, max_value=5),
    status=st.sampled_from([None, JobStatus.PENDING, JobStatus.CANCELLED]),
)
async def test_paging_returns_every_matching_job_once_even_when_created_at_ties(
    minutes: list[int], limit: int, status: JobStatus | None
) -> None:
    jobs = InMemoryJobRepository()
    for index, minute in enumerate(minutes):
        job = created(minute)
        jobs.put(job.cancel(START) if index % 3 == 0 else job)
    matching = [job for job in jobs.jobs.values() if status is None or job.status is status]

    pages = await page_through(ListJobs(jobs), JobQuery(limit=limit, status=status))

    listed = [job for page in pages for job in page]
    assert ids(listed) == ids(sorted(matching, key=lambda job: (job.created_at, job.id))[::-1])
    assert all(len(page) <= limit for page in pages)


async def test_the_attempts_of_a_job_are_listed_first_to_last(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    record = RecordOutcomes(jobs, jobs, queue, queue, clock, policy)
    job = created(0)
    first_started = START + timedelta(seconds=1)
    first = job.enqueue(START).start(first_started, LEASE, "worker-1")
    jobs.put(first)
    await record([Claimed("1-0", first.fail("RetryableError: busy", first_started, BACKOFF))])
    second_started = START + timedelta(minutes=1)
    second = jobs.jobs[job.id].enqueue(second_started).start(second_started, LEASE, "worker-2")
    jobs.put(second)
    await record([Claimed("2-0", second.complete({"ok": True}, second_started))])

    attempts = await GetAttempts(jobs)(job.id)

    assert [(a.attempt, a.worker, a.started_at, a.outcome, a.error) for a in attempts] == [
        (1, "worker-1", first_started, "retrying", "RetryableError: busy"),
        (2, "worker-2", second_started, "completed", None),
    ]


async def test_a_job_that_never_finished_an_attempt_has_none(
    jobs: InMemoryJobRepository, catalogue: Catalogue
) -> None:
    assert await GetAttempts(jobs)(catalogue.queued.id) == []


async def test_the_attempts_of_an_unknown_job_are_not_found(jobs: InMemoryJobRepository) -> None:
    missing = uuid4()

    with pytest.raises(JobNotFound) as not_found:
        await GetAttempts(jobs)(missing)

    assert not_found.value.job_id == missing
