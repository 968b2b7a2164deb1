"""A handler that names its wait (RetryableError retry_in) is retried after it, not the backoff."""

import json
from datetime import datetime, timedelta

import httpx

from tests.e2e.conftest import FAST_RETRIES, Stack
from tests.e2e.processes import wait_for_status

# Far beyond this stack's BACKOFF_MAX, which alone would retry within a fraction of it.
WAIT = timedelta(seconds=1.5)


def moment(text: object) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


async def test_the_next_attempt_starts_no_earlier_than_the_wait_the_handler_named(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    assert FAST_RETRIES["BACKOFF_MAX"] == "100ms"
    body = {"job_type": "rate_limited", "payload": {"retry_in_seconds": WAIT.total_seconds()}}
    job = (await client.post("/v1/jobs", json=body)).json()

    done = await wait_for_status(client, job["id"])

    assert (done["status"], done["attempt"], done["result"]) == ("completed", 2, {"attempt": 2})
    first, second = (await client.get(f"/v1/jobs/{job['id']}/attempts")).json()
    assert (first["outcome"], first["error"]) == ("retrying", "RetryableError: rate limited")
    failed_at, run_at = moment(first["finished_at"]), moment(done["run_at"])
    assert run_at - failed_at == WAIT
    assert moment(second["started_at"]) >= run_at, stack.logs


async def test_the_handlers_log_line_names_its_job_and_attempt(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    body = {"job_type": "rate_limited", "payload": {"retry_in_seconds": 0}}
    job = (await client.post("/v1/jobs", json=body)).json()
    await wait_for_status(client, job["id"])

    records = [json.loads(line) for line in stack.worker.log.splitlines() if line.startswith("{")]
    [line] = [
        r for r in records if r["logger"] == "taskforge.handlers" and r.get("job_id") == job["id"]
    ]
    assert line["message"] == "rate limited; next attempt in 0:00:00"
    assert (line["level"], line["job_type"], line["attempt"]) == ("WARNING", "rate_limited", 1)
    assert line["worker"].startswith("e2e-worker-")
