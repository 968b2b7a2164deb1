"""Knowing when a job is done without polling: the long-poll, the event stream and
progress, over HTTP against real api and worker processes."""

import asyncio
import time
import uuid

import httpx
import pytest

from tests.e2e.server_sent_events import Stream, read_events


async def submit(client: httpx.AsyncClient, job_type: str, **payload: object) -> dict[str, object]:
    response = await client.post("/v1/jobs", json={"job_type": job_type, "payload": payload})
    assert response.status_code == 202, response.text
    return dict(response.json())


async def follow(
    client: httpx.AsyncClient, job_id: object, within: float = 20, **headers: str
) -> Stream:
    """Every event of the job's stream, until the server closes it."""
    stream = Stream([])
    async with asyncio.timeout(within):
        async with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            async for _ in read_events(response, stream):
                pass
    return stream


async def test_long_poll_answers_as_soon_as_the_job_completes(client: httpx.AsyncClient) -> None:
    job = await submit(client, "wait", seconds=0.3)

    started = time.monotonic()
    response = await client.get(f"/v1/jobs/{job['id']}", params={"wait": "30"}, timeout=40)
    took = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["result"] == {"waited": 0.3}
    assert took < 5, took


async def test_long_poll_that_times_out_answers_the_job_as_it_is(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, "wait", seconds=30)

    started = time.monotonic()
    response = await client.get(f"/v1/jobs/{job['id']}", params={"wait": "1.5"})
    took = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["status"] in {"queued", "running"}
    assert 1.4 < took < 4, took
    await client.post(f"/v1/jobs/{job['id']}/cancel")


async def test_long_poll_of_a_finished_job_answers_at_once(client: httpx.AsyncClient) -> None:
    job = await submit(client, "add", numbers=[1, 2])
    await client.get(f"/v1/jobs/{job['id']}", params={"wait": "20"})

    started = time.monotonic()
    response = await client.get(f"/v1/jobs/{job['id']}", params={"wait": "60"})

    assert response.json()["status"] == "completed"
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("wait", ["0", "-1", "60.5", "61", "soon", "nan", "1e3", ""])
async def test_a_wait_out_of_range_is_refused_naming_wait(
    client: httpx.AsyncClient, wait: str
) -> None:
    response = await client.get(f"/v1/jobs/{uuid.uuid4()}", params={"wait": wait})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("wait:")


async def test_long_poll_of_an_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/jobs/{uuid.uuid4()}", params={"wait": "1"})

    assert response.status_code == 404


async def test_event_stream_follows_a_retry_to_completion_in_order(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, "flaky")

    stream = await follow(client, job["id"])

    jobs = [event.data for event in stream.events if event.event == "job"]
    revisions = [int(event.id or -1) for event in stream.events if event.event == "job"]
    assert revisions == sorted(set(revisions)), revisions
    assert [data["revision"] for data in jobs] == revisions
    statuses = [data["status"] for data in jobs]
    assert statuses[-1] == "completed", statuses
    assert jobs[-1]["attempt"] == 2
    # The retry is seen live, or as the first attempt's history entry when it was missed.
    retried = [s for s in statuses if s == "retrying"] or [
        e.data["attempt"]["outcome"] for e in stream.events if e.event == "attempt"
    ]
    assert retried == ["retrying"], stream.events
    assert statuses.index("completed") == len(statuses) - 1


async def test_event_stream_of_a_finished_job_sends_it_and_closes(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, "add", numbers=[2, 3])
    await client.get(f"/v1/jobs/{job['id']}", params={"wait": "20"})

    stream = await follow(client, job["id"], within=5)

    assert [(e.event, e.data["status"]) for e in stream.events] == [("job", "completed")]
    assert stream.events[0].data["result"] == {"sum": 5}


async def test_resuming_with_last_event_id_replays_what_was_missed(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, "flaky")
    first = (await client.get(f"/v1/jobs/{job['id']}")).json()
    done = (await client.get(f"/v1/jobs/{job['id']}", params={"wait": "20"})).json()
    assert done["status"] == "completed"

    stream = await follow(client, job["id"], **{"Last-Event-ID": str(first["revision"])})

    kinds = [event.event for event in stream.events]
    assert kinds == ["attempt", "job"], stream.events
    missed = stream.events[0].data["attempt"]
    assert (missed["attempt"], missed["outcome"]) == (1, "retrying")
    assert "first attempts fail" in missed["error"]
    assert stream.events[0].id == str(first["revision"])
    assert stream.events[1].id == str(done["revision"])
    assert stream.events[1].data["status"] == "completed"


async def test_resuming_after_the_last_event_of_a_finished_job_answers_204(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, "add", numbers=[1])
    done = (await client.get(f"/v1/jobs/{job['id']}", params={"wait": "20"})).json()

    response = await client.get(
        f"/v1/jobs/{job['id']}/events", headers={"Last-Event-ID": str(done["revision"])}
    )

    # 204 is what tells a browser's EventSource to stop reconnecting.
    assert response.status_code == 204
    assert response.content == b""


async def test_event_stream_of_an_unknown_job_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/jobs/{uuid.uuid4()}/events")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "job-not-found"


async def test_progress_reported_by_a_handler_shows_on_get_and_on_the_stream(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, "progress", seconds=2)
    stream = Stream([])
    seen_on_get: dict[str, object] = {}

    async with asyncio.timeout(20):
        async with client.stream("GET", f"/v1/jobs/{job['id']}/events") as response:
            async for event in read_events(response, stream):
                if event.data.get("progress") == 0.5 and not seen_on_get:
                    seen_on_get = (await client.get(f"/v1/jobs/{job['id']}")).json()

    progress = [
        (e.data["progress"], e.data["progress_message"]) for e in stream.events if e.event == "job"
    ]
    assert (0.5, "step 5 of 10") in progress
    # Five reports in a row are coalesced into at most two writes.
    assert len([p for p in progress if p[0] is not None]) <= 3, progress
    assert seen_on_get["status"] == "running"
    assert (seen_on_get["progress"], seen_on_get["progress_message"]) == (0.5, "step 5 of 10")
    assert stream.events[-1].data["status"] == "completed"


async def test_an_idle_stream_sends_heartbeat_comments(client: httpx.AsyncClient) -> None:
    job = await submit(client, "wait", seconds=1.2)

    stream = await follow(client, job["id"])

    # HTTP_EVENTS_HEARTBEAT is 200ms in this suite: a second of running shows several.
    assert stream.comments >= 3, stream
    assert stream.events[-1].data["status"] == "completed"
