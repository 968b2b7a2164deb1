"""JobLookup's payload searches: jsonb containment, and a path equal to a value."""

from datetime import timedelta
from typing import Any

import pytest

from taskforge_app.ports import JobQuery, PayloadEquals
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.contracts.builders import NOW, started, submitted
from tests.contracts.conftest import Store

pytestmark = pytest.mark.contract

SECOND = timedelta(seconds=1)


async def with_payloads(store: Store, *payloads: dict[str, Any]) -> list[Job]:
    """The jobs, newest first."""
    jobs = [await submitted(store, payload=p, at=NOW + s * SECOND) for s, p in enumerate(payloads)]
    return jobs[::-1]


async def equal(store: Store, path: str, text: str, **filters: Any) -> list[Job]:
    search = PayloadEquals(tuple(path.split(".")), text)
    return await store.list_jobs(JobQuery(limit=10, payload_equals=search, **filters))


async def containing(store: Store, fragment: dict[str, Any]) -> list[Job]:
    return await store.list_jobs(JobQuery(limit=10, payload_contains=fragment))


async def test_a_value_matches_the_string_and_the_scalar_it_spells(store: Store) -> None:
    jobs = await with_payloads(
        store,
        {"c": {"id": 42}},
        {"c": {"id": "42"}},
        {"c": {"id": 42.0}},
        {"c": {"id": 43}},
        {"c": {"id": True}},
        {"c": {"id": "true"}},
        {"c": {"id": None}},
        {"c": {"id": 1}},
        {"c": [{"id": 42}]},
        {"c": {"id": [42]}},
    )
    by_id = {repr(job.payload): job for job in jobs}

    def found(*payloads: Any) -> list[Job]:
        wanted = [by_id[repr({"c": {"id": v}})] for v in payloads]
        return sorted(wanted, key=lambda job: job.created_at, reverse=True)

    assert await equal(store, "c.id", "42") == found(42, "42", 42.0)
    assert await equal(store, "c.id", "42.00") == found(42, 42.0)
    assert await equal(store, "c.id", "true") == found(True, "true")
    assert await equal(store, "c.id", "null") == found(None)
    assert await equal(store, "c.id", "1") == found(1)
    assert await equal(store, "c.id", "1e999999") == []
    assert await equal(store, "c", "42") == []


async def test_keys_and_values_are_compared_as_written(store: Store) -> None:
    odd = {'qu"ote': {"back\\slash": 'a "b" \\ c'}, "é": "\n\t"}
    [job] = await with_payloads(store, odd)

    assert await equal(store, 'qu"ote.back\\slash', 'a "b" \\ c') == [job]
    assert await equal(store, "é", "\n\t") == [job]
    assert await containing(store, odd) == [job]
    assert await equal(store, 'qu"ote.back\\slash', "a") == []


async def test_a_fragment_matches_payloads_that_contain_it(store: Store) -> None:
    nested, eu, vip, both = await with_payloads(
        store,
        {"tags": ["vip", "eu"], "n": 1},
        {"tags": ["vip"], "n": 2},
        {"tags": ["eu"]},
        {"order": {"lines": [{"sku": "a-1", "qty": 2}, {"sku": "b-2"}]}},
    )

    assert await containing(store, {"tags": ["vip"]}) == [vip, both]
    assert await containing(store, {"tags": ["eu", "vip"]}) == [both]
    assert await containing(store, {"tags": "vip"}) == []
    assert await containing(store, {"order": {"lines": [{"sku": "b-2"}]}}) == [nested]
    assert await containing(store, {"order": {"lines": [{"sku": "a-1", "qty": 3}]}}) == []
    assert await containing(store, {"n": 1.0, "tags": []}) == [both]
    assert eu not in await containing(store, {"n": 2})


async def test_payload_searches_combine_with_the_other_filters_and_pages(store: Store) -> None:
    jobs = await with_payloads(store, *({"tenant": "t-1", "n": n} for n in range(5)))
    other = await started(store, payload={"tenant": "t-1"}, job_type="other", at=NOW + 9 * SECOND)

    first = await equal(store, "tenant", "t-1", job_type="echo")
    page = await store.list_jobs(
        JobQuery(
            limit=2,
            payload_contains={"tenant": "t-1"},
            job_type="echo",
            before=(jobs[1].created_at, jobs[1].id),
        )
    )
    running = await equal(store, "tenant", "t-1", status=JobStatus.RUNNING, queue="normal")

    assert first == jobs
    assert page == jobs[2:4]
    assert running == [other]
