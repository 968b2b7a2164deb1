"""Global limits per job type and per queue over real HTTP, the real CLI and a real worker."""

import subprocess
from datetime import datetime
from typing import Any

import httpx
import msgspec

from tests.e2e.processes import Stack, taskforge, wait_for_status

LIMITED = "limited_wait"


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return msgspec.json.decode(result.stdout)


async def submit(client: httpx.AsyncClient, job_type: str, payload: dict[str, Any]) -> str:
    answer = await client.post("/v1/jobs", json={"job_type": job_type, "payload": payload})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def most_at_once(jobs: list[dict[str, Any]]) -> int:
    """The most handlers that ran at the same time, from the window each reported."""
    edges = sorted(
        [(job["result"]["began"], 1) for job in jobs]
        + [(job["result"]["ended"], -1) for job in jobs]
    )
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


async def test_a_concurrency_limit_holds_its_type_back_and_lets_others_pass(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.put(f"/v1/limits/{LIMITED}", json={"concurrency": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"updated_at": None} == {
        "job_type": LIMITED,
        "concurrency": 1,
        "rate": None,
        "running": 0,
        "tokens": None,
        "updated_at": None,
        "updated_by": "anonymous",
    }
    try:
        limited = [await submit(client, LIMITED, {"seconds": 0.4}) for _ in range(4)]
        other = await submit(client, "add", {"numbers": [1, 2]})
        assert (await wait_for_status(client, other))["status"] == "completed"
        # The unlimited job went past while the limited ones still wait their turn.
        waiting = [(await client.get(f"/v1/jobs/{job_id}")).json() for job_id in limited]
        assert any(job["status"] != "completed" for job in waiting)
        listed = (await client.get("/v1/limits")).json()["limits"]
        assert [limit["job_type"] for limit in listed] == [LIMITED]
        assert listed[0]["running"] <= 1
        finished = [await wait_for_status(client, job_id) for job_id in limited]
    finally:
        assert (await client.delete(f"/v1/limits/{LIMITED}")).status_code == 200
    assert {job["status"] for job in finished} == {"completed"}
    # Held back, never started: no attempt was spent on the wait.
    assert {job["attempt"] for job in finished} == {1}
    assert most_at_once(finished) == 1


async def test_limits_refuse_what_they_cannot_hold(client: httpx.AsyncClient) -> None:
    cases: list[tuple[str, Any]] = [
        (LIMITED, {}),
        (LIMITED, {"concurrency": 0}),
        (LIMITED, {"rate": {"starts": 5, "per": "day"}}),
        (LIMITED, {"concurrency": 2, "burst": 3}),
    ]
    for job_type, body in cases:
        answer = await client.put(f"/v1/limits/{job_type}", json=body)
        assert answer.status_code == 422, (job_type, body, answer.text)
        assert answer.json()["code"] == "validation-failed"
    bad_type = await client.put("/v1/limits/not a type", json={"concurrency": 2})
    assert bad_type.status_code == 422, bad_type.text
    missing = await client.delete("/v1/limits/no_limit_here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "limit-not-found"
    assert (await client.get("/v1/limits")).json() == {"limits": [], "queue_limits": []}


async def test_the_cli_sets_lists_and_deletes_limits_on_the_audit_trail(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    env = stack.env
    job_type = "cli_limited"
    made = json_of(
        taskforge(
            "limits",
            "set",
            job_type,
            "--concurrency",
            "3",
            "--rate",
            "10/minute",
            "--json",
            env=env,
        )
    )
    assert (made["concurrency"], made["rate"], made["tokens"]) == (
        3,
        {"starts": 10, "per": "minute"},
        10.0,
    )
    assert made["updated_by"].startswith("cli:")
    table = taskforge("limits", "list", env=env)
    assert table.returncode == 0, table.stderr
    assert "10/minute" in table.stdout
    assert job_type in table.stdout
    over_http = (await client.get("/v1/limits")).json()["limits"]
    assert [limit["job_type"] for limit in over_http] == [job_type]
    refused = taskforge("limits", "set", job_type, env=env)
    assert refused.returncode == 2
    assert "needs concurrency, rate or both" in refused.stderr
    bad_rate = taskforge("limits", "set", job_type, "--rate", "10/day", env=env)
    assert bad_rate.returncode == 2
    assert "N/second, N/minute or N/hour" in bad_rate.stderr
    removed = taskforge("limits", "delete", job_type, env=env)
    assert removed.returncode == 0, removed.stderr
    again = taskforge("limits", "delete", job_type, env=env)
    assert again.returncode == 2
    assert f"job type {job_type!r} has no limit" in again.stderr
    trail = json_of(taskforge("audit", "list", "--json", env=env))["entries"]
    ours = [e for e in trail if e["details"].get("job_type") == job_type]
    assert [e["action"] for e in ours] == ["limit.delete", "limit.set"]
    assert ours[1]["details"] == {
        "job_type": job_type,
        "concurrency": 3,
        "rate": {"starts": 10, "per": "minute"},
    }
    assert all(e["actor"].startswith("cli:") for e in ours)


async def test_a_rate_limit_spaces_the_starts_of_its_type(client: httpx.AsyncClient) -> None:
    answer = await client.put(
        f"/v1/limits/{LIMITED}", json={"rate": {"starts": 2, "per": "second"}}
    )
    assert answer.status_code == 200, answer.text
    try:
        jobs = [await submit(client, LIMITED, {"seconds": 0}) for _ in range(6)]
        finished = [await wait_for_status(client, job_id) for job_id in jobs]
    finally:
        await client.delete(f"/v1/limits/{LIMITED}")
    starts = sorted(datetime.fromisoformat(job["started_at"]) for job in finished)
    # A full bucket of two, then two a second: six starts span at least two seconds.
    assert (starts[-1] - starts[0]).total_seconds() >= 2 - 0.05
    assert {job["attempt"] for job in finished} == {1}


async def submit_to(client: httpx.AsyncClient, queue: str, payload: dict[str, Any]) -> str:
    body = {"job_type": LIMITED, "payload": payload, "queue": queue}
    answer = await client.post("/v1/jobs", json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


async def test_a_queue_limit_holds_its_queue_back_and_lets_other_queues_pass(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.put("/v1/queues/low/limit", json={"concurrency": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"updated_at": None} == {
        "queue": "low",
        "concurrency": 1,
        "rate": None,
        "running": 0,
        "tokens": None,
        "updated_at": None,
        "updated_by": "anonymous",
    }
    try:
        limited = [await submit_to(client, "low", {"seconds": 0.3}) for _ in range(4)]
        other = await submit_to(client, "normal", {"seconds": 0})
        assert (await wait_for_status(client, other))["status"] == "completed"
        listed = (await client.get("/v1/limits")).json()
        assert [limit["queue"] for limit in listed["queue_limits"]] == ["low"]
        assert listed["limits"] == []
        finished = [await wait_for_status(client, job_id) for job_id in limited]
    finally:
        assert (await client.delete("/v1/queues/low/limit")).status_code == 200
    assert {job["status"] for job in finished} == {"completed"}
    assert {job["attempt"] for job in finished} == {1}
    assert most_at_once(finished) == 1
    missing = await client.delete("/v1/queues/low/limit")
    assert (missing.status_code, missing.json()["code"]) == (404, "limit-not-found")
    unknown = await client.put("/v1/queues/no-such-queue/limit", json={"concurrency": 1})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "queue-not-found")
    empty = await client.put("/v1/queues/low/limit", json={})
    assert (empty.status_code, empty.json()["code"]) == (422, "validation-failed")


async def test_the_cli_sets_lists_and_deletes_queue_limits_on_the_audit_trail(
    stack: Stack,
) -> None:
    env = stack.env
    made = json_of(
        taskforge("limits", "set", "--queue", "high", "--rate", "5/second", "--json", env=env)
    )
    assert (made["queue"], made["rate"], made["tokens"]) == (
        "high",
        {"starts": 5, "per": "second"},
        5.0,
    )
    table = taskforge("limits", "list", env=env)
    assert table.returncode == 0, table.stderr
    assert "QUEUE" in table.stdout
    assert "5/second" in table.stdout
    both = taskforge("limits", "set", "some_type", "--queue", "high", "--concurrency", "1", env=env)
    assert both.returncode == 2
    assert "either a JOB_TYPE or a --queue" in both.stderr
    removed = taskforge("limits", "delete", "--queue", "high", env=env)
    assert removed.returncode == 0, removed.stderr
    again = taskforge("limits", "delete", "--queue", "high", env=env)
    assert again.returncode == 2
    assert "queue 'high' has no limit" in again.stderr
    trail = json_of(taskforge("audit", "list", "--json", env=env))["entries"]
    ours = [e for e in trail if e["details"].get("queue") == "high" and "limit" in e["action"]]
    assert [e["action"] for e in ours] == ["queue.limit.delete", "queue.limit.set"]
    assert ours[1]["details"] == {
        "queue": "high",
        "concurrency": None,
        "rate": {"starts": 5, "per": "second"},
    }
    assert all(e["actor"].startswith("cli:") for e in ours)
