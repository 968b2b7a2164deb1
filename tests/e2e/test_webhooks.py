"""Completion webhooks over real HTTP: a stack of its own with webhooks on, posting to a
receiver this test runs on a loopback port, and the default stack, where they are off."""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from taskforge_client import AsyncClient, Job, NewJob
from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import Stack, running_stack, stack_environment, wait_for_status
from tests.e2e.webhook_receiver import Receiver, running_receiver

SECRET = "a-test-secret-of-some-length"
WEBHOOK_MAX_ATTEMPTS = 4
FAST_WEBHOOKS = {
    "WEBHOOK_SECRET": SECRET,
    "WEBHOOK_MAX_ATTEMPTS": str(WEBHOOK_MAX_ATTEMPTS),
    "WEBHOOK_BACKOFF_BASE": "20ms",
    "WEBHOOK_BACKOFF_MAX": "100ms",
    "WEBHOOK_INTERVAL": "50ms",
    "WEBHOOK_TIMEOUT": "2s",
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def hooks_env(test_services: Services, receiver: Receiver) -> dict[str, str]:
    allowed = {"WEBHOOK_ALLOWED_HOSTS": f"127.0.0.1:{receiver.port}"}
    return await stack_environment(
        test_services, "webhooks-worker", {**FAST_RETRIES, **FAST_WEBHOOKS, **allowed}
    )


@pytest.fixture(scope="module")
def hooks_stack(hooks_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(hooks_env) as running:
        yield running


@pytest_asyncio.fixture
async def hooks(hooks_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hooks_stack.base_url, timeout=10) as http:
        yield http


def signed_correctly(request_headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, as the README shows it: HMAC-SHA256 of `<t>.<body>`, and a
    timestamp within five minutes."""
    parts = dict(part.split("=", 1) for part in request_headers["taskforge-signature"].split(","))
    expected = hmac.new(
        SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


async def submit(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


async def settled_webhook(client: httpx.AsyncClient, job_id: str, within: float = 20) -> Any:
    """The job's GET once its every delivery is delivered or failed."""
    deadline = time.monotonic() + within
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = (await client.get(f"/v1/jobs/{job_id}")).json()
        deliveries = (job.get("webhook") or {}).get("deliveries", [])
        if deliveries and all(d["state"] != "pending" for d in deliveries):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the webhook of job {job_id} never settled; last seen {job}")


async def test_a_receiver_that_fails_twice_gets_the_job_signed_on_the_third_attempt(
    hooks: httpx.AsyncClient, receiver: Receiver
) -> None:
    url = receiver.url("/fail-2/first")
    job = await submit(hooks, {"job_type": "ping", "callback_url": url})

    requests = await asyncio.to_thread(receiver.wait_for, "/fail-2/first", 3)
    shown = await settled_webhook(hooks, job["id"])

    assert [request.status for request in requests] == [500, 500, 204]
    assert all(signed_correctly(r.headers, r.body) for r in requests)
    delivered = json.loads(requests[-1].body)
    assert (delivered["id"], delivered["status"], delivered["callback_url"]) == (
        job["id"],
        "completed",
        url,
    )
    assert "webhook" not in delivered
    assert requests[-1].headers["taskforge-event"] == "job.completed"
    assert shown["callback_url"] == url
    [delivery] = shown["webhook"]["deliveries"]
    assert (delivery["state"], delivery["job_status"], delivery["attempts"]) == (
        "delivered",
        "completed",
        3,
    )
    assert [a["http_status"] for a in delivery["attempt_log"]] == [500, 500, 204]
    assert requests[-1].headers["taskforge-delivery"] == str(delivery["id"])


async def test_a_tampered_body_or_another_secret_does_not_verify(
    hooks: httpx.AsyncClient, receiver: Receiver
) -> None:
    await submit(hooks, {"job_type": "ping", "callback_url": receiver.url("/ok/tamper")})

    [request] = await asyncio.to_thread(receiver.wait_for, "/ok/tamper", 1)

    assert signed_correctly(request.headers, request.body)
    assert not signed_correctly(request.headers, request.body.replace(b"completed", b"dead"))


async def test_a_receiver_that_always_fails_ends_on_the_dead_letter_stream(
    hooks: httpx.AsyncClient, receiver: Receiver, hooks_env: dict[str, str], redis_client: Redis
) -> None:
    job = await submit(hooks, {"job_type": "ping", "callback_url": receiver.url("/always-fail/")})

    shown = await settled_webhook(hooks, job["id"])
    letter = await dead_letter_of(redis_client, hooks_env["REDIS_STREAM_DLQ"], job["id"])

    [delivery] = shown["webhook"]["deliveries"]
    assert (delivery["state"], delivery["attempts"]) == ("failed", WEBHOOK_MAX_ATTEMPTS)
    assert len(receiver.requests_to("/always-fail/")) == WEBHOOK_MAX_ATTEMPTS
    assert letter[b"kind"] == b"webhook"
    assert letter[b"webhook_delivery"] == str(delivery["id"]).encode()
    assert letter[b"attempt"] == str(WEBHOOK_MAX_ATTEMPTS).encode()
    assert b"HTTP 500" in letter[b"last_error"]
    assert shown["status"] == "completed"


async def dead_letter_of(redis: Redis, stream: str, job_id: str, within: float = 10) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for _, fields in await redis.xrange(stream):
            if fields[b"job_id"] == job_id.encode() and fields.get(b"kind") == b"webhook":
                return fields
        await asyncio.sleep(0.05)
    raise AssertionError(f"no webhook dead letter for job {job_id} on {stream}")


async def test_a_job_cancelled_over_the_api_gets_its_callback(
    hooks: httpx.AsyncClient, receiver: Receiver
) -> None:
    body = {"job_type": "ping", "delay_seconds": 60, "callback_url": receiver.url("/ok/cancel")}
    job = await submit(hooks, body)

    cancelled = await hooks.post(f"/v1/jobs/{job['id']}/cancel")
    [request] = await asyncio.to_thread(receiver.wait_for, "/ok/cancel", 1)

    assert cancelled.status_code == 200
    assert request.headers["taskforge-event"] == "job.cancelled"
    assert json.loads(request.body)["status"] == "cancelled"
    assert signed_correctly(request.headers, request.body)


async def test_a_dead_job_gets_its_callback(hooks: httpx.AsyncClient, receiver: Receiver) -> None:
    job = await submit(hooks, {"job_type": "dead", "callback_url": receiver.url("/ok/dead")})

    [request] = await asyncio.to_thread(receiver.wait_for, "/ok/dead", 1)
    shown = await settled_webhook(hooks, job["id"])

    assert request.headers["taskforge-event"] == "job.dead"
    assert json.loads(request.body)["status"] == "dead"
    assert shown["webhook"]["deliveries"][0]["state"] == "delivered"


async def test_a_host_not_allowed_is_refused_at_submit_naming_callback_url(
    hooks: httpx.AsyncClient, receiver: Receiver
) -> None:
    other_port = await hooks.post(
        "/v1/jobs", json={"job_type": "ping", "callback_url": "http://127.0.0.1:1/x"}
    )
    credentials = await hooks.post(
        "/v1/jobs",
        json={"job_type": "ping", "callback_url": f"http://u:p@127.0.0.1:{receiver.port}/"},
    )
    batch = await hooks.post(
        "/v1/jobs/batch",
        json={"jobs": [{"job_type": "ping", "callback_url": "http://169.254.169.254/"}]},
    )

    assert other_port.status_code == credentials.status_code == 422
    assert [e["key"] for e in other_port.json()["errors"]] == ["callback_url"]
    assert other_port.json()["detail"] == (
        "callback_url: host 127.0.0.1:1 is not in WEBHOOK_ALLOWED_HOSTS"
    )
    assert "credentials" in credentials.json()["detail"]
    [item] = batch.json()["results"]
    assert item["status"] == 422
    assert item["error"]["detail"].startswith("jobs[0]: callback_url: host 169.254.169.254:80")


async def test_a_job_without_callback_shows_no_webhook(hooks: httpx.AsyncClient) -> None:
    job = await submit(hooks, {"job_type": "ping"})

    done = await wait_for_status(hooks, job["id"])

    assert (done["callback_url"], done["webhook"]) == (None, None)


async def test_webhooks_are_off_by_default(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/jobs", json={"job_type": "ping", "callback_url": "http://127.0.0.1:8080/"}
    )

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "callback_url: completion webhooks are off: WEBHOOK_ALLOWED_HOSTS is empty"
    )


async def test_the_python_client_submits_callbacks_and_reads_the_deliveries(
    hooks_stack: Stack, receiver: Receiver
) -> None:
    async with AsyncClient(hooks_stack.base_url) as client:
        one = await client.submit("ping", callback_url=receiver.url("/ok/client-one"))
        [many] = await client.submit_many(
            [NewJob(job_type="ping", callback_url=receiver.url("/ok/client-many"))]
        )
        refused = await client.submit_many(
            [NewJob(job_type="ping", callback_url="http://127.0.0.1:1/")]
        )
        await asyncio.to_thread(receiver.wait_for, "/ok/client-one", 1)
        await asyncio.to_thread(receiver.wait_for, "/ok/client-many", 1)
        shown = await settled_client_webhook(client, one.id)

    assert one.callback_url == receiver.url("/ok/client-one")
    assert many.job is not None
    assert many.job.callback_url == receiver.url("/ok/client-many")
    assert refused[0].status == 422
    assert shown.webhook is not None
    assert [d.state for d in shown.webhook.deliveries] == ["delivered"]
    assert shown.webhook.deliveries[0].attempt_log[0].http_status == 204


async def settled_client_webhook(client: AsyncClient, job_id: UUID, within: float = 20) -> Job:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        job = await client.get(job_id)
        if job.webhook and all(d.state != "pending" for d in job.webhook.deliveries):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the webhook of job {job_id} never settled")


async def test_a_key_reused_with_another_callback_url_is_refused(
    hooks: httpx.AsyncClient, receiver: Receiver
) -> None:
    key = {"Idempotency-Key": f"hook-{time.monotonic_ns()}"}
    first = {"job_type": "ping", "delay_seconds": 60, "callback_url": receiver.url("/ok/a")}
    other = {**first, "callback_url": receiver.url("/ok/b")}

    created = await hooks.post("/v1/jobs", json=first, headers=key)
    same = await hooks.post("/v1/jobs", json=first, headers=key)
    different = await hooks.post("/v1/jobs", json=other, headers=key)

    assert (created.status_code, same.status_code) == (202, 200)
    assert different.status_code == 422
    assert different.json()["code"] == "idempotency-key-reused"


async def test_a_failed_delivery_is_sent_again_on_request_with_a_fresh_budget(
    hooks: httpx.AsyncClient, receiver: Receiver
) -> None:
    path = f"/fail-{WEBHOOK_MAX_ATTEMPTS}/redeliver"
    job = await submit(hooks, {"job_type": "ping", "callback_url": receiver.url(path)})
    await settled_webhook(hooks, job["id"])

    again = await hooks.post(f"/v1/jobs/{job['id']}/webhook/redeliver")
    requests = await asyncio.to_thread(receiver.wait_for, path, WEBHOOK_MAX_ATTEMPTS + 1)
    shown = await settled_webhook(hooks, job["id"])
    nothing_left = await hooks.post(f"/v1/jobs/{job['id']}/webhook/redeliver")
    no_job = await hooks.post(f"/v1/jobs/{uuid4()}/webhook/redeliver")

    assert again.status_code == 202
    # The new delivery may be sent before the answer is written: pending or delivered.
    assert [d["state"] for d in again.json()["webhook"]["deliveries"]][:1] == ["failed"]
    assert len(again.json()["webhook"]["deliveries"]) == 2
    assert requests[-1].status == 204
    assert [d["state"] for d in shown["webhook"]["deliveries"]] == ["failed", "delivered"]
    assert nothing_left.status_code == 409
    assert nothing_left.json()["code"] == "no-failed-webhook"
    assert no_job.status_code == 404
