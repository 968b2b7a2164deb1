"""`taskforge jobs ...` and `taskforge dlq ...` as an operator runs them, against the e2e stack."""

import asyncio
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import redis.asyncio as aioredis

from tests.conftest import PROJECT_ROOT, Services
from tests.e2e.conftest import MAX_ATTEMPTS
from tests.e2e.processes import free_port, taskforge, wait_for_status

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
UNKNOWN_TYPE_ERROR = "no handler serves it"
FOLLOW_COMMAND = [sys.executable, "-m", "taskforge_entrypoints.cli", "dlq", "follow"]


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return msgspec.json.decode(result.stdout)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    [line] = result.stderr.strip().splitlines()
    assert result.stdout == ""
    return line


def unknown_type() -> str:
    """A job type no worker serves: its jobs die on their first attempt, and only this
    test's jobs have it, so it doubles as a filter."""
    return f"cli_{uuid.uuid4().hex[:10]}"


async def submit(client: httpx.AsyncClient, body: dict[str, object]) -> str:
    response = await client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def dead_jobs(client: httpx.AsyncClient, job_type: str, count: int) -> list[str]:
    ids = [await submit(client, {"job_type": job_type}) for _ in range(count)]
    for job_id in ids:
        assert (await wait_for_status(client, job_id))["status"] == "dead"
    return ids


async def job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/v1/jobs/{job_id}")).json())


async def test_jobs_list_prints_a_table_and_pages_with_the_printed_cursor(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    job_type = unknown_type()
    ids = await dead_jobs(client, job_type, 3)

    first = taskforge("jobs", "list", "--job-type", job_type, "--limit", "2", env=stack_env)
    lines = first.stdout.splitlines()
    cursor = lines[-1].removeprefix("next page: --cursor ")
    rest = json_of(
        taskforge(
            "jobs",
            "list",
            "--job-type",
            job_type,
            "--limit",
            "2",
            "--cursor",
            cursor,
            "--json",
            env=stack_env,
        )
    )
    none_completed = json_of(
        taskforge(
            "jobs", "list", "--job-type", job_type, "--status", "completed", "--json", env=stack_env
        )
    )

    assert first.returncode == 0, first.stderr
    assert lines[0].split() == [
        "ID", "TYPE", "QUEUE", "STATUS", "ATTEMPT", "CREATED", "LAST", "ERROR"
    ]  # fmt: skip
    rows = [line.split() for line in lines[1:3]]
    assert [row[1:5] for row in rows] == [[job_type, "normal", "dead", f"1/{MAX_ATTEMPTS}"]] * 2
    assert all(RFC3339_UTC.match(row[5]) for row in rows)
    assert all(f"unknown job_type '{job_type}'" in line for line in lines[1:3])
    assert lines[-1].startswith("next page: --cursor ")
    assert rest["next_cursor"] is None
    assert sorted([row[0] for row in rows] + [j["id"] for j in rest["jobs"]]) == sorted(ids)
    assert RFC3339_UTC.match(rest["jobs"][0]["created_at"])
    assert none_completed == {"jobs": [], "next_cursor": None}


async def test_jobs_list_filters_by_queue(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    job_type = unknown_type()
    by_queue = {
        queue_name: [
            await submit(client, {"job_type": job_type, "queue": queue_name, "delay_seconds": 600})
            for _ in range(count)
        ]
        for queue_name, count in {"high": 2, "normal": 1, "low": 3}.items()
    }

    def listed(queue_name: str) -> list[dict[str, Any]]:
        found = json_of(
            taskforge(
                "jobs", "list", "--job-type", job_type, "--queue", queue_name, "--json",
                env=stack_env,
            )
        )  # fmt: skip
        return list(found["jobs"])

    for queue_name, ids in by_queue.items():
        jobs = listed(queue_name)
        assert sorted(j["id"] for j in jobs) == sorted(ids)
        assert {j["queue"] for j in jobs} == {queue_name}
    assert listed("bulk") == []
    table = taskforge("jobs", "list", "--job-type", job_type, "--queue", "low", env=stack_env)
    assert [line.split()[2] for line in table.stdout.splitlines()[1:]] == ["low"] * 3


async def test_jobs_list_searches_the_payload_as_get_v1_jobs_does(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    tenant = unknown_type()
    vip = await submit(client, {"job_type": "ping", "payload": {"t": tenant, "tags": ["vip"]}})
    other = await submit(client, {"job_type": "ping", "payload": {"t": tenant, "n": 7}})

    def listed(*options: str) -> list[str]:
        found = json_of(taskforge("jobs", "list", *options, "--json", env=stack_env))
        return [job["id"] for job in found["jobs"]]

    bad = taskforge("jobs", "list", "--payload-equals", "t", env=stack_env)

    assert listed("--payload-equals", f"t={tenant}") == [other, vip]
    assert listed("--payload-equals", f"t={tenant}", "--payload-contains", '{"n": 7}') == [other]
    assert listed("--payload-contains", f'{{"t": "{tenant}", "tags": ["vip"]}}') == [vip]
    assert bad.returncode == 2
    assert "--payload-equals: payload_equals must be PATH=VALUE" in bad.stderr


async def test_jobs_show_prints_the_job_and_its_attempt_history(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    job_id = await submit(client, {"job_type": "fail", "max_attempts": 2})
    await wait_for_status(client, job_id)

    table = taskforge("jobs", "show", job_id, env=stack_env)
    document = json_of(taskforge("jobs", "show", job_id, "--json", env=stack_env))

    assert table.returncode == 0, table.stderr
    assert f"id                {job_id}" in table.stdout
    assert "queue             normal" in table.stdout
    assert "status            dead" in table.stdout
    assert "attempt           2 of 2" in table.stdout
    history = table.stdout.split("\n\n")[1].splitlines()
    assert history[0].split()[:3] == ["ATTEMPT", "OUTCOME", "WORKER"]
    assert [line.split()[:2] for line in history[1:]] == [["1", "retrying"], ["2", "dead"]]
    assert document["job"]["id"] == job_id
    assert document["job"]["status"] == "dead"
    assert [a["outcome"] for a in document["attempts"]] == ["retrying", "dead"]
    assert all(RFC3339_UTC.match(a["finished_at"]) for a in document["attempts"])


async def test_jobs_cancel_cancels_a_waiting_job_and_refuses_a_finished_one(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    waiting = await submit(client, {"job_type": "ping", "delay_seconds": 60})
    also_waiting = await submit(client, {"job_type": "ping", "delay_seconds": 60})

    cancelled = taskforge("jobs", "cancel", waiting, env=stack_env)
    again = taskforge("jobs", "cancel", waiting, "--json", env=stack_env)
    as_json = json_of(taskforge("jobs", "cancel", also_waiting, "--json", env=stack_env))

    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith(f"job {waiting} cancelled")
    assert (await job(client, waiting))["status"] == "cancelled"
    assert again.returncode == 3
    assert "is cancelled" in one_line_error(again)
    assert as_json["id"] == also_waiting
    assert as_json["status"] == "cancelled"


async def test_jobs_replay_replays_a_dead_job_and_refuses_one_that_is_not_dead(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    dead = await submit(client, {"job_type": "fail", "max_attempts": 1})
    await wait_for_status(client, dead)
    completed = await submit(client, {"job_type": "ping"})
    await wait_for_status(client, completed)

    replayed = json_of(
        taskforge("jobs", "replay", dead, "--attempts", "2", "--json", env=stack_env)
    )
    dead_again = await wait_for_status(client, dead)
    table = taskforge("jobs", "replay", dead, "--attempts", "1", env=stack_env)
    refused = taskforge("jobs", "replay", completed, env=stack_env)

    assert replayed["status"] == "queued"
    assert replayed["replays"] == 1
    assert replayed["max_attempts"] == 3
    assert dead_again["status"] == "dead"
    assert dead_again["attempt"] == 3
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith(f"job {dead} replayed")
    assert refused.returncode == 3
    assert "only a dead job can be replayed" in one_line_error(refused)


async def test_jobs_retry_is_the_old_name_of_jobs_replay(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    dead = await submit(client, {"job_type": "fail", "max_attempts": 1})
    await wait_for_status(client, dead)

    replayed = json_of(taskforge("jobs", "retry", dead, "--attempts", "1", "--json", env=stack_env))
    dead_again = await wait_for_status(client, dead)

    assert replayed["id"] == dead
    assert replayed["status"] == "queued"
    assert replayed["replays"] == 1
    assert (dead_again["status"], dead_again["attempt"]) == ("dead", 2)


async def test_workers_list_shows_the_live_worker_as_get_v1_workers_does(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    listed = json_of(taskforge("workers", "list", "--json", env=stack_env))
    answered = (await client.get("/v1/workers")).json()
    table = taskforge("workers", "list", env=stack_env)

    [worker] = listed["workers"]
    assert worker["consumer"].startswith("e2e-worker-")
    assert set(worker) == {
        "consumer",
        "host",
        "pid",
        "started_at",
        "last_seen_at",
        "queues",
        "in_flight",
    }
    assert RFC3339_UTC.match(worker["last_seen_at"])
    assert [w["consumer"] for w in answered["workers"]] == [worker["consumer"]]
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split() == [
        "CONSUMER",
        "HOST",
        "PID",
        "STARTED",
        "LAST",
        "SEEN",
        "QUEUES",
        "IN",
        "FLIGHT",
    ]
    assert row.split()[0] == worker["consumer"]
    assert row.split()[2] == str(worker["pid"])


async def test_unknown_job_ids_exit_1_with_one_line(stack_env: dict[str, str]) -> None:
    missing = str(uuid.uuid4())

    for action in ("show", "cancel", "replay", "retry"):
        result = taskforge("jobs", action, missing, env=stack_env)

        assert result.returncode == 1, (action, result.stderr)
        assert one_line_error(result) == f"taskforge jobs {action}: no job with id {missing}"


async def test_bad_options_and_an_unconfirmed_replay_exit_2(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    job_type = unknown_type()
    [dead] = await dead_jobs(client, job_type, 1)

    bad_date = taskforge("jobs", "list", "--created-after", "yesterday", env=stack_env)
    bad_id = taskforge("jobs", "show", "not-a-uuid", env=stack_env)
    unconfirmed = taskforge("dlq", "replay", "--job-type", job_type, env=stack_env)

    assert bad_date.returncode == 2
    assert "'yesterday' is not an ISO 8601 date" in bad_date.stderr
    assert bad_id.returncode == 2
    assert unconfirmed.returncode == 2
    assert "--yes" in one_line_error(unconfirmed)
    assert "--dry-run" in unconfirmed.stderr
    assert (await job(client, dead))["status"] == "dead"


def test_a_filter_the_store_cannot_compare_exits_2_naming_the_option(
    stack_env: dict[str, str],
) -> None:
    # An undecodable byte in the command line reaches Python as a lone surrogate.
    listed = taskforge("jobs", "list", "--error", "boom \udcff", env=stack_env)
    replayed = taskforge("dlq", "replay", "--error", "boom \udcff", "--dry-run", env=stack_env)

    for result in (listed, replayed):
        assert result.returncode == 2, result.stderr
        assert "--error is not valid Unicode text" in one_line_error(result)


async def test_dlq_list_shows_dead_jobs_by_type_error_and_time_of_death(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    job_type = unknown_type()
    ids = await dead_jobs(client, job_type, 2)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    table = taskforge("dlq", "list", "--job-type", job_type, env=stack_env)
    by_error = json_of(
        taskforge(
            "dlq", "list", "--job-type", job_type, "--error", "NO HANDLER", "--json", env=stack_env
        )
    )
    died_before = json_of(
        taskforge(
            "dlq", "list", "--job-type", job_type, "--dead-before", later, "--json", env=stack_env
        )
    )
    died_after = taskforge(
        "dlq", "list", "--job-type", job_type, "--dead-after", later, env=stack_env
    )

    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["ID", "TYPE", "ATTEMPT", "DIED", "LAST", "ERROR"]
    assert sorted(row.split()[0] for row in rows) == sorted(ids)
    assert sorted(j["id"] for j in by_error["jobs"]) == sorted(ids)
    assert {j["status"] for j in by_error["jobs"]} == {"dead"}
    assert len(died_before["jobs"]) == 2
    assert died_after.stdout.strip() == "no dead jobs match"


async def test_dlq_replay_dry_run_changes_nothing_and_a_real_replay_runs_the_jobs_again(
    client: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    job_type = unknown_type()
    ids = await dead_jobs(client, job_type, 3)

    dry = json_of(
        taskforge("dlq", "replay", "--job-type", job_type, "--dry-run", "--json", env=stack_env)
    )
    dry_table = taskforge("dlq", "replay", "--job-type", job_type, "--dry-run", env=stack_env)
    still = [await job(client, job_id) for job_id in ids]
    real = taskforge(
        "dlq", "replay", "--job-type", job_type, "--yes", "--rate", "50", env=stack_env
    )
    ran_again = [await wait_for_status(client, job_id) for job_id in ids]

    assert dry == {"dry_run": True, "matched": 3, "replayed": 0, "job_ids": dry["job_ids"]}
    assert sorted(dry["job_ids"]) == sorted(ids)
    assert dry_table.stdout.splitlines()[-1] == "dry run: 3 dead job(s) match; nothing was replayed"
    assert [(j["status"], j["attempt"], j["replays"]) for j in still] == [("dead", 1, 0)] * 3
    assert real.returncode == 0, real.stderr
    assert real.stdout.splitlines()[-1] == "replayed 3 of 3 matching dead job(s)"
    assert "\r" not in real.stderr
    assert [(j["status"], j["attempt"], j["replays"]) for j in ran_again] == [("dead", 2, 1)] * 3


async def test_dlq_follow_count_1_json_receives_the_letter_of_a_job_that_dies(
    client: httpx.AsyncClient, stack_env: dict[str, str], redis_client: aioredis.Redis
) -> None:
    stream = stack_env["REDIS_STREAM_DLQ"]
    group = f"{stack_env['REDIS_DLQ_CONSUMER_GROUP']}-{uuid.uuid4().hex[:8]}"
    [job_id] = await dead_jobs(client, unknown_type(), 1)
    letter_id = await dead_letter_id(redis_client, stream, job_id)
    # The group starts right before this letter, so it is the next one the group hands out.
    before = await redis_client.xrevrange(stream, max=f"({letter_id}", count=1)
    await redis_client.xgroup_create(stream, group, id=before[0][0] if before else "0")

    result = taskforge(
        "dlq",
        "follow",
        "--count",
        "1",
        "--json",
        "--block-timeout",
        "200ms",
        env={**stack_env, "REDIS_DLQ_CONSUMER_GROUP": group},
    )

    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    letter = msgspec.json.decode(line)
    assert letter["message_id"] == letter_id
    assert letter["job_id"] == job_id
    assert letter["attempt"] == 1
    assert UNKNOWN_TYPE_ERROR in letter["last_error"]
    assert RFC3339_UTC.match(letter["dead_at"])
    assert (await redis_client.xpending(stream, group))["pending"] == 0


async def test_dlq_follow_creates_its_group_prints_letters_as_they_arrive_and_stops_on_sigterm(
    client: httpx.AsyncClient, stack_env: dict[str, str], redis_client: aioredis.Redis
) -> None:
    stream = stack_env["REDIS_STREAM_DLQ"]
    group = f"{stack_env['REDIS_DLQ_CONSUMER_GROUP']}-{uuid.uuid4().hex[:8]}"
    follower = Follower({**stack_env, "REDIS_DLQ_CONSUMER_GROUP": group})
    try:
        job_id = await submit(client, {"job_type": unknown_type()})
        letter = await next_letter_of(follower.lines, job_id)
    finally:
        exit_code, stderr = follower.stop(signal.SIGTERM)

    assert exit_code == 0, stderr
    assert letter["job_type"].startswith("cli_")
    assert UNKNOWN_TYPE_ERROR in letter["last_error"]
    assert [g["name"].decode() for g in await redis_client.xinfo_groups(stream)].count(group) == 1
    assert (await redis_client.xpending(stream, group))["pending"] == 0


async def test_unreachable_postgres_or_redis_exits_4(stack_env: dict[str, str]) -> None:
    no_postgres = taskforge("jobs", "list", env={**stack_env, "POSTGRES_PORT": str(free_port())})
    no_redis = taskforge(
        "dlq",
        "follow",
        "--count",
        "1",
        env={**stack_env, "REDIS_ADDR": f"127.0.0.1:{free_port()}"},
    )

    assert no_postgres.returncode == 4
    assert "PostgreSQL unavailable" in no_postgres.stderr
    assert no_redis.returncode == 4
    assert "Redis unavailable" in no_redis.stderr


async def test_a_missing_or_unmigrated_database_exits_4_saying_which(
    stack_env: dict[str, str], test_services: Services
) -> None:
    empty = urlsplit(await test_services.create_database()).path.lstrip("/")

    no_database = taskforge("jobs", "list", env={**stack_env, "POSTGRES_DB": f"{empty}_none"})
    not_migrated = taskforge(
        "jobs", "show", str(uuid.uuid4()), env={**stack_env, "POSTGRES_DB": empty}
    )

    assert no_database.returncode == 4
    assert one_line_error(no_database).startswith(
        "taskforge jobs list: PostgreSQL refused the connection: "
    )
    assert f"{empty}_none" in no_database.stderr
    assert not_migrated.returncode == 4
    assert one_line_error(not_migrated).endswith(
        ": the database is not migrated, run `taskforge migrate up`"
    )


class Follower:
    """`taskforge dlq follow --json` in the background; its lines are collected as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [*FOLLOW_COMMAND, "--json", "--block-timeout", "200ms"],
            cwd=PROJECT_ROOT,
            env={"PATH": "/usr/bin:/bin", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)

    def stop(self, signum: int) -> tuple[int, str]:
        """Send the signal; the exit code and what was printed on stderr."""
        assert self.popen.stdout is not None
        assert self.popen.stderr is not None
        self.popen.send_signal(signum)
        try:
            return self.popen.wait(timeout=10), self.popen.stderr.read()
        finally:
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait()
            self._reader.join(timeout=10)
            self.popen.stdout.close()
            self.popen.stderr.close()


async def dead_letter_id(redis: aioredis.Redis, stream: str, job_id: str) -> str:
    """The message id of the job's dead letter, once the worker has published it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message_id, fields in await redis.xrevrange(stream, count=100):
            if fields[b"job_id"].decode() == job_id:
                return message_id.decode()
        await asyncio.sleep(0.05)
    raise AssertionError(f"no dead letter for job {job_id} on {stream}")


async def next_letter_of(lines: "queue.Queue[str]", job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            line = lines.get_nowait()
        except queue.Empty:
            await asyncio.sleep(0.05)
            continue
        letter = dict(msgspec.json.decode(line))
        if letter["job_id"] == job_id:
            return letter
    raise AssertionError(f"`dlq follow` printed no letter for job {job_id}")
