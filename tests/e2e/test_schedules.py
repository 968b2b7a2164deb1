"""Schedules over real HTTP and the real `taskforge schedules` command, against the e2e
stack, whose worker runs the scheduler: ticks become jobs that run, and every change is
on the audit trail with its author."""

import asyncio
import itertools
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec

from tests.e2e.processes import Stack, taskforge


async def until(check: Any, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(0.1)


def instants(texts: list[str]) -> list[datetime]:
    return [datetime.fromisoformat(text) for text in texts]


async def test_an_every_second_schedule_creates_jobs_that_run_each_named_by_its_tick(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/v1/schedules",
        json={"name": "e2e-every", "every": "1s", "job_type": "ping", "payload": {"m": "hi"}},
        headers={"X-Request-ID": "req-schedule-1"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["every"], body["cron"], body["timezone"]) == ("1s", None, "UTC")
    assert (body["catch_up"], body["overlap"], body["paused"]) == ("latest", "allow", False)
    fire_times = instants(body["next_fire_times"])
    assert len(fire_times) == 5
    assert {b - a for a, b in itertools.pairwise(fire_times)} == {timedelta(seconds=1)}

    async def last_job_done() -> dict[str, Any] | None:
        shown = (await client.get("/v1/schedules/e2e-every")).json()
        last = shown["last_job"]
        return shown if last and last["status"] == "completed" else None

    shown = await until(last_job_done)
    job = (await client.get(f"/v1/jobs/{shown['last_job']['id']}")).json()
    assert (
        job["idempotency_key"] == f"schedule:e2e-every:{shown['last_tick'].replace('Z', '+00:00')}"
    )
    assert (job["job_type"], job["payload"]) == ("ping", {"m": "hi"})

    paused = await client.post("/v1/schedules/e2e-every/pause")
    assert paused.status_code == 200
    assert (paused.json()["paused"], paused.json()["next_fire_times"]) == (True, [])
    triggered = await client.post("/v1/schedules/e2e-every/trigger")
    assert triggered.status_code == 202, triggered.text
    assert triggered.json()["idempotency_key"].startswith("schedule:e2e-every:trigger:")
    resumed = (await client.post("/v1/schedules/e2e-every/resume")).json()
    assert resumed["paused"] is False
    assert instants(resumed["next_fire_times"])[0] > datetime.fromisoformat(
        paused.json()["updated_at"]
    )

    replaced = await client.put(
        "/v1/schedules/e2e-every",
        json={"cron": "0 9 * * 1-5", "timezone": "Europe/Paris", "job_type": "ping"},
    )
    assert replaced.status_code == 200, replaced.text
    # 09:00 in Paris: 08:00 UTC in winter, 07:00 in summer.
    assert {t.hour for t in instants(replaced.json()["next_fire_times"])} <= {7, 8}
    allowed = await client.options("/v1/schedules/e2e-every")
    assert allowed.headers["Allow"] == "DELETE, GET, OPTIONS, PUT"
    listed = (await client.get("/v1/schedules")).json()["schedules"]
    assert "e2e-every" in {schedule["name"] for schedule in listed}

    assert (await client.delete("/v1/schedules/e2e-every")).status_code == 204
    gone = await client.get("/v1/schedules/e2e-every")
    assert (gone.status_code, gone.json()["code"]) == (404, "schedule-not-found")

    audit = (await client.get("/v1/audit", params={"actor": "anonymous"})).json()["entries"]
    mine = [entry for entry in audit if entry["details"].get("schedule") == "e2e-every"]
    actions = [entry["action"] for entry in reversed(mine)]
    assert actions == [
        "schedule.create",
        "schedule.pause",
        "schedule.trigger",
        "schedule.resume",
        "schedule.update",
        "schedule.delete",
    ]
    assert mine[-1]["request_id"] == "req-schedule-1" != mine[0]["request_id"]


async def test_schedules_that_cannot_be_made_are_refused_with_the_field_named(
    client: httpx.AsyncClient,
) -> None:
    base = {"name": "e2e-bad", "job_type": "ping"}
    for fields, named in (
        ({"cron": "* * * * *", "every": "1s"}, "exactly one"),
        ({}, "exactly one"),
        ({"every": "500ms"}, "every"),
        ({"cron": "61 * * * *"}, "cron"),
        ({"every": "1s", "timezone": "Mars/Olympus"}, "timezone"),
        ({"every": "1s", "queue": "nowhere"}, "queue"),
    ):
        refused = await client.post("/v1/schedules", json=base | fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert named in refused.text, (fields, refused.text)
    first = await client.post("/v1/schedules", json=base | {"every": "1h"})
    assert first.status_code == 201
    again = await client.post("/v1/schedules", json=base | {"every": "1h"})
    assert (again.status_code, again.json()["code"]) == (409, "schedule-name-taken")
    assert (await client.delete("/v1/schedules/e2e-bad")).status_code == 204


def cli(stack: Stack, *args: str) -> Any:
    result = taskforge("schedules", *args, "--json", env=stack.env)
    assert result.returncode == 0, result.stderr
    return msgspec.json.decode(result.stdout)


async def test_the_cli_manages_schedules_as_the_operator(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    made = cli(
        stack, "create", "--name", "e2e-cli", "--every", "1s", "--job-type", "ping",
        "--payload", '{"from": "cli"}', "--catch-up", "skip", "--overlap", "skip",
    )  # fmt: skip
    assert (made["every"], made["catch_up"], made["overlap"]) == ("1s", "skip", "skip")
    assert "e2e-cli" in {s["name"] for s in cli(stack, "list")["schedules"]}
    taken = taskforge(
        "schedules", "create", "--name", "e2e-cli", "--every", "1h", "--job-type", "ping",
        env=stack.env,
    )  # fmt: skip
    assert taken.returncode == 3
    assert "a schedule named 'e2e-cli' exists" in taken.stderr

    async def fired() -> bool:
        return cli(stack, "show", "e2e-cli")["last_job"] is not None

    await until(fired)
    assert cli(stack, "pause", "e2e-cli")["paused"] is True
    triggered = cli(stack, "trigger", "e2e-cli")
    assert triggered["payload"] == {"from": "cli"}
    assert cli(stack, "resume", "e2e-cli")["paused"] is False
    table = taskforge("schedules", "list", env=stack.env)
    assert "e2e-cli" in table.stdout
    assert "every 1s" in table.stdout
    deleted = taskforge("schedules", "delete", "e2e-cli", env=stack.env)
    assert deleted.returncode == 0, deleted.stderr
    missing = taskforge("schedules", "show", "e2e-cli", env=stack.env)
    assert missing.returncode == 2
    assert "no schedule named 'e2e-cli'" in missing.stderr

    audit = (await client.get("/v1/audit", params={"action": "schedule.trigger"})).json()
    [entry] = [e for e in audit["entries"] if e["details"]["schedule"] == "e2e-cli"]
    assert entry["actor"].startswith("cli:")
    assert entry["job_ids"] == [triggered["id"]]
