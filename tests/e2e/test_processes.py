"""The `taskforge` command as an operator meets it: start, refuse bad settings, stop cleanly."""

import signal

import httpx

from taskforge_adapters.postgres.migrations import discover, migrations_dir
from tests.conftest import MIGRATIONS_URL, Services
from tests.e2e.processes import (
    TaskforgeProcess,
    free_port,
    taskforge,
    wait_for_status,
    wait_until_ready,
)


def test_bad_setting_stops_the_process_with_one_line_naming_it() -> None:
    result = taskforge("api", env={"BACKOFF_BASE": "5 seconds"})

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "BACKOFF_BASE" in line
    assert "5 seconds" in line


async def test_unimportable_handler_module_stops_the_worker_with_one_line(
    test_services: Services,
) -> None:
    env = test_services.environment(
        await test_services.create_database(), TASKFORGE_HANDLERS="no_such_package.handlers"
    )

    result = taskforge("worker", env=env)

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "TASKFORGE_HANDLERS" in line
    assert "no_such_package.handlers" in line


async def test_migrate_down_rolls_back_newest_first_and_up_reapplies(
    test_services: Services,
) -> None:
    env = test_services.environment(await test_services.create_database())

    up = taskforge("migrate", "up", env=env)
    down = taskforge("migrate", "down", env=env)
    version = taskforge("migrate", "version", env=env)
    again = taskforge("migrate", "up", env=env)

    versions = [str(m.version) for m in discover(migrations_dir(MIGRATIONS_URL))]
    assert versions[:3] == ["1", "2", "3"]
    assert up.returncode == 0, up.stderr
    assert f"applied: {', '.join(versions)}" in up.stdout
    assert f"rolled back: {', '.join(reversed(versions))}" in down.stdout
    assert "version: none" in version.stdout
    assert f"applied: {', '.join(versions)}" in again.stdout


async def test_ready_is_503_naming_redis_when_redis_is_unreachable_and_jobs_still_accepted(
    test_services: Services,
) -> None:
    port = free_port()
    env = test_services.environment(
        await test_services.create_database(),
        HTTP_ADDR=f"127.0.0.1:{port}",
        REDIS_ADDR=f"127.0.0.1:{free_port()}",
    )
    api = TaskforgeProcess(["api"], env)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", api)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            ready = await client.get("/ready")
            accepted = await client.post("/v1/jobs", json={"job_type": "ping"})
    finally:
        exit_code = api.stop()

    assert ready.status_code == 503
    assert "redis" in ready.json()["status"]
    assert ready.json()["checks"]["postgres"] == "ok"
    assert ready.json()["checks"]["redis"].startswith("failing")
    assert accepted.status_code == 202
    assert accepted.json()["status"] == "pending"
    assert exit_code == 0


async def test_run_starts_api_worker_and_scheduler_and_sigterm_stops_all(
    test_services: Services,
) -> None:
    port = free_port()
    env = test_services.environment(
        await test_services.create_database(), HTTP_ADDR=f"127.0.0.1:{port}"
    )
    stack = TaskforgeProcess(["run"], env)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", stack)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            job = (await client.post("/v1/jobs", json={"job_type": "ping"})).json()
            done = await wait_for_status(client, job["id"])
    finally:
        exit_code = stack.stop(signal.SIGTERM)

    assert done["status"] == "completed"
    assert exit_code == 0, stack.log
    assert "scheduler stopped" in stack.log
    assert "worker" in stack.log
