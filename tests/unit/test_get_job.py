from uuid import uuid4

import pytest

from taskforge_app.get_job import GetJob
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job
from tests.unit.fakes import START, InMemoryJobRepository


async def test_a_stored_job_is_found_by_its_id(jobs: InMemoryJobRepository) -> None:
    job = Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=5, now=START)
    jobs.put(job)

    found = await GetJob(jobs)(job.id)

    assert found == job


async def test_a_missing_job_is_not_found(jobs: InMemoryJobRepository) -> None:
    missing = uuid4()

    with pytest.raises(JobNotFound) as not_found:
        await GetJob(jobs)(missing)

    assert not_found.value.job_id == missing
    assert str(missing) in str(not_found.value)
