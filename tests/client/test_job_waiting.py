"""wait() and events() of both clients against a real API and worker."""

import time

import pytest

from taskforge_client import (
    AsyncClient,
    AttemptFinished,
    Client,
    JobChanged,
    JobNotFound,
    WaitTimedOut,
)
from taskforge_client.calls import MAX_WAIT_SECONDS, wait_slice
from tests.client.cutting_proxy import CuttingProxy


def test_wait_returns_the_finished_job_as_soon_as_it_finishes(api_url: str) -> None:
    with Client(api_url) as client:
        job = client.submit("wait", {"seconds": 0.3})
        started = time.monotonic()
        done = client.wait(job.id, timeout=30)
        took = time.monotonic() - started

    assert (done.status, done.result) == ("completed", {"waited": 0.3})
    assert took < 5, took


def test_wait_that_runs_out_raises_with_the_job_as_it_is(api_url: str) -> None:
    with Client(api_url) as client:
        job = client.submit("wait", {"seconds": 30})
        started = time.monotonic()
        with pytest.raises(WaitTimedOut) as timed_out:
            client.wait(job.id, timeout=1)
        took = time.monotonic() - started
        client.cancel(job.id)

    assert timed_out.value.job.id == job.id
    assert timed_out.value.job.status in {"queued", "running"}
    assert 0.9 < took < 4, took


def test_sync_events_follow_a_retry_to_completion(api_url: str) -> None:
    with Client(api_url) as client:
        job = client.submit("flaky")
        events = list(client.events(job.id))

    changes = [event.job for event in events if isinstance(event, JobChanged)]
    assert changes[-1].status == "completed"
    assert [c.revision for c in changes] == sorted({c.revision for c in changes})
    retried = [c.status for c in changes if c.status == "retrying"] or [
        e.attempt.outcome for e in events if isinstance(e, AttemptFinished)
    ]
    assert retried == ["retrying"]


def test_events_of_an_unknown_job_raise_job_not_found(api_url: str) -> None:
    with Client(api_url) as client, pytest.raises(JobNotFound):
        list(client.events("6b0e4f6e-2f65-4d39-9a53-5b9c0f3c2f11"))


async def test_async_wait_and_progress_on_the_job(api_url: str) -> None:
    async with AsyncClient(api_url) as client:
        job = await client.submit("progress", {"seconds": 0.2})
        done = await client.wait(job.id, timeout=30)

    assert done.status == "completed"
    assert (done.progress, done.progress_message) == (0.5, "step 5 of 10")


async def test_async_events_resume_after_a_dropped_connection(api_url: str) -> None:
    async with AsyncClient(api_url) as direct:
        job = await direct.submit("wait", {"seconds": 1})
    async with CuttingProxy(api_url) as proxy, AsyncClient(proxy.base_url) as client:
        events = [event async for event in client.events(job.id)]

    changes = [event.job for event in events if isinstance(event, JobChanged)]
    assert changes[-1].status == "completed"
    assert len(proxy.requests) >= 2  # the stream that was cut, then the resumed one
    assert "last-event-id" not in proxy.requests[0].decode().lower()
    assert f"last-event-id: {changes[0].revision}" in proxy.requests[1].decode().lower()
    assert [c.revision for c in changes] == sorted({c.revision for c in changes})


def test_a_long_wait_is_sent_in_slices_the_server_takes() -> None:

    long, short, spent = (
        wait_slice("6b0e4f6e-2f65-4d39-9a53-5b9c0f3c2f11", s, 10) for s in (600, 2.5, -1)
    )

    assert long.params == {"wait": f"{MAX_WAIT_SECONDS:.3f}"}
    assert long.timeout == MAX_WAIT_SECONDS + 10
    assert short.params == {"wait": "2.500"}
    # A deadline already past still asks once, for the job as it is.
    assert spent.params == {"wait": "0.001"}
