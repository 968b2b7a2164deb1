"""Operating jobs over HTTP: delay, cancel, replay, list and the attempt history."""

import uuid

import httpx

from tests.e2e.processes import wait_for_status


async def submit(client: httpx.AsyncClient, body: dict[str, object]) -> dict[str, object]:
    response = await client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


async def test_a_delayed_job_waits_scheduled_then_runs(client: httpx.AsyncClient) -> None:
    job = await submit(client, {"job_type": "ping", "delay_seconds": 0.5})

    assert job["status"] == "scheduled"
    assert job["run_at"] > job["created_at"]
    done = await wait_for_status(client, str(job["id"]))
    assert done["status"] == "completed"
    assert done["started_at"] >= job["run_at"]


async def test_run_at_without_an_offset_and_both_delays_are_refused(
    client: httpx.AsyncClient,
) -> None:
    naive = await client.post(
        "/v1/jobs", json={"job_type": "ping", "run_at": "2030-01-01T00:00:00"}
    )
    both = await client.post(
        "/v1/jobs",
        json={"job_type": "ping", "run_at": "2030-01-01T00:00:00Z", "delay_seconds": 5},
    )

    assert naive.status_code == 422
    assert naive.json()["detail"] == "run_at: Expected `datetime` with a timezone component"
    assert [error["key"] for error in naive.json()["errors"]] == ["run_at"]
    assert both.status_code == 422


async def test_a_cancelled_waiting_job_never_runs(client: httpx.AsyncClient) -> None:
    job = await submit(client, {"job_type": "ping", "delay_seconds": 3})

    cancelled = await client.post(f"/v1/jobs/{job['id']}/cancel")
    again = await client.post(f"/v1/jobs/{job['id']}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409
    assert again.json()["code"] == "job-state-conflict"
    attempts = await client.get(f"/v1/jobs/{job['id']}/attempts")
    assert attempts.json() == []


async def test_a_running_job_is_cancelled_cooperatively_and_its_attempt_recorded(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, {"job_type": "wait", "payload": {"seconds": 60}})
    await wait_for_status(client, str(job["id"]), frozenset({"running"}))

    requested = await client.post(f"/v1/jobs/{job['id']}/cancel")
    done = await wait_for_status(client, str(job["id"]), frozenset({"cancelled", "completed"}))

    assert requested.status_code == 200
    assert requested.json()["status"] == "running"
    assert requested.json()["cancel_requested_at"] is not None
    assert done["status"] == "cancelled"
    [attempt] = (await client.get(f"/v1/jobs/{job['id']}/attempts")).json()
    assert attempt["outcome"] == "cancelled"
    assert attempt["attempt"] == 1


async def test_a_dead_job_replayed_gets_a_fresh_budget_and_keeps_its_history(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, {"job_type": "fail", "max_attempts": 1})
    await wait_for_status(client, str(job["id"]))

    replayed = await client.post(f"/v1/jobs/{job['id']}/replay", params={"attempts": 2})
    dead_again = await wait_for_status(client, str(job["id"]))
    not_dead = await client.post(f"/v1/jobs/{uuid.uuid4()}/replay")

    assert replayed.status_code == 200
    assert replayed.json()["replays"] == 1
    assert dead_again["status"] == "dead"
    assert dead_again["attempt"] == 3
    assert dead_again["max_attempts"] == 3
    history = (await client.get(f"/v1/jobs/{job['id']}/attempts")).json()
    assert [a["attempt"] for a in history] == [1, 2, 3]
    assert {a["outcome"] for a in history} == {"dead", "retrying"}
    assert not_dead.status_code == 404


async def test_retry_is_the_deprecated_old_path_of_replay(client: httpx.AsyncClient) -> None:
    dead = await submit(client, {"job_type": "fail", "max_attempts": 1})
    await wait_for_status(client, str(dead["id"]))
    completed = await submit(client, {"job_type": "ping"})
    await wait_for_status(client, str(completed["id"]))

    replayed = await client.post(f"/v1/jobs/{dead['id']}/retry", params={"attempts": 1})
    refused = await client.post(f"/v1/jobs/{completed['id']}/retry")
    paths = (await client.get("/docs/openapi.json")).json()["paths"]

    assert replayed.status_code == 200
    assert (replayed.json()["status"], replayed.json()["replays"]) == ("queued", 1)
    assert refused.status_code == 409
    assert refused.json()["code"] == "job-state-conflict"
    assert paths["/v1/jobs/{job_id}/retry"]["post"]["deprecated"] is True
    assert paths["/v1/jobs/{job_id}/replay"]["post"].get("deprecated", False) is False


async def test_listing_filters_and_pages_through_every_job_once(client: httpx.AsyncClient) -> None:
    job_type = f"list_{uuid.uuid4().hex[:8]}"
    ids = {str((await submit(client, {"job_type": job_type}))["id"]) for _ in range(7)}

    seen: list[str] = []
    url: str | None = f"/v1/jobs?job_type={job_type}&limit=3"
    while url:
        page = (await client.get(url)).json()
        seen += [job["id"] for job in page["jobs"]]
        url = page["next"]

    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(ids)
    dead = (await client.get("/v1/jobs", params={"status": "dead", "job_type": job_type})).json()
    assert all(job["status"] == "dead" for job in dead["jobs"])
    bad_cursor = await client.get("/v1/jobs", params={"cursor": "nonsense"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["code"] == "invalid-cursor"


async def test_dead_jobs_are_found_by_error_text(client: httpx.AsyncClient) -> None:
    job = await submit(client, {"job_type": f"unknown_{uuid.uuid4().hex[:8]}"})
    await wait_for_status(client, str(job["id"]))

    found = (
        await client.get("/v1/jobs", params={"status": "dead", "error": job["job_type"]})
    ).json()

    assert [listed["id"] for listed in found["jobs"]] == [job["id"]]


async def test_a_job_on_the_high_queue_runs_and_an_unknown_queue_is_refused(
    client: httpx.AsyncClient,
) -> None:
    job = await submit(client, {"job_type": "ping", "queue": "high"})
    unknown = await client.post("/v1/jobs", json={"job_type": "ping", "queue": "urgent"})

    done = await wait_for_status(client, str(job["id"]))
    listed = (await client.get("/v1/jobs", params={"queue": "high", "limit": 500})).json()

    assert job["queue"] == "high"
    assert done["status"] == "completed"
    assert job["id"] in [listed_job["id"] for listed_job in listed["jobs"]]
    assert unknown.status_code == 422
    assert "high, normal, low" in unknown.json()["detail"]


async def test_a_paced_replay_takes_only_the_jobs_its_five_seconds_allow(
    client: httpx.AsyncClient,
) -> None:
    job_type = f"unknown_{uuid.uuid4().hex[:8]}"
    jobs = [await submit(client, {"job_type": job_type}) for _ in range(4)]
    for job in jobs:
        await wait_for_status(client, str(job["id"]))

    # 0.6 jobs a second: five seconds hold three of the four.
    paced = await client.post(
        "/v1/dead-letters/replay",
        json={"job_type": job_type, "rate_per_second": 0.6, "dry_run": True},
    )

    assert paced.status_code == 200, paced.text
    assert paced.json()["matched"] == 3
