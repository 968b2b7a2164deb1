"""Retries: a 503 is waited out as Retry-After asks, a lost answer is resent under the same
Idempotency-Key, and both stop within their bounds."""

import itertools
import logging
import time
import uuid
from collections.abc import Iterator

import pytest

from taskforge_client import (
    AsyncClient,
    Client,
    Conflict,
    ConnectionFailed,
    JobNotFound,
    ServiceUnavailable,
)
from tests.client.flaky_proxy import FlakyProxy
from tests.e2e.processes import TaskforgeProcess, free_port, wait_until_ready


@pytest.fixture(scope="module")
def api_without_postgres(client_env: dict[str, str]) -> Iterator[str]:
    """A real API whose PostgreSQL port is closed: it serves /health, jobs get 503."""
    port = free_port()
    env = {
        **client_env,
        "POSTGRES_PORT": str(free_port()),
        "HTTP_ADDR": f"127.0.0.1:{port}",
        "HTTP_BASE_URL": f"http://127.0.0.1:{port}",
    }
    api = TaskforgeProcess(["api"], env)
    try:
        wait_until_ready(env["HTTP_BASE_URL"], api, for_jobs=False)
        yield env["HTTP_BASE_URL"]
    finally:
        exit_code = api.stop()
    assert exit_code == 0, api.log


def test_a_503_from_the_real_api_is_service_unavailable_with_its_retry_after(
    api_without_postgres: str,
) -> None:
    with (
        Client(api_without_postgres, max_attempts=1) as client,
        pytest.raises(ServiceUnavailable) as unavailable,
    ):
        client.submit("add", {"numbers": [1]})

    assert (unavailable.value.status, unavailable.value.code) == (503, "store-unavailable")
    assert unavailable.value.retry_after == 5.0


def test_a_retry_after_beyond_the_budget_gives_up_at_once(api_without_postgres: str) -> None:
    with Client(api_without_postgres, max_attempts=5, retry_budget=2) as client:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            client.get(uuid.uuid4())

    assert time.monotonic() - started < 2


def test_503s_are_waited_out_as_retry_after_asks_then_the_job_is_stored(
    proxy: FlakyProxy, api_url: str
) -> None:
    proxy.unavailable(times=2, retry_after=1)

    with Client(proxy.url, retry_budget=10) as client:
        job = client.submit("add", {"numbers": [4]})

    sent = proxy.requests("POST", "/v1/jobs")
    assert len(sent) == 3
    assert all(later.at - earlier.at >= 1 for earlier, later in itertools.pairwise(sent))
    assert len({seen.headers["idempotency-key"] for seen in sent}) == 1
    with Client(api_url) as direct:
        assert direct.get(job.id).payload == {"numbers": [4]}


def test_503s_beyond_max_attempts_raise_the_last_one(proxy: FlakyProxy) -> None:
    proxy.unavailable(times=3, retry_after=0)

    with Client(proxy.url, max_attempts=3) as client, pytest.raises(ServiceUnavailable):
        client.submit("add", {"numbers": [1]})

    assert len(proxy.requests("POST", "/v1/jobs")) == 3


def test_a_submit_whose_answer_was_lost_is_resent_and_makes_one_job(
    proxy: FlakyProxy, api_url: str
) -> None:
    proxy.hang_up_after_forwarding()

    with Client(proxy.url) as client:
        job = client.submit("add", {"numbers": [5]})

    sent = proxy.requests("POST", "/v1/jobs")
    assert len(sent) == 2
    key = sent[0].headers["idempotency-key"]
    assert sent[1].headers["idempotency-key"] == key
    with Client(api_url) as direct:
        assert [found.id for found in direct.list(idempotency_key=key)] == [job.id]


async def test_an_async_submit_whose_answer_was_lost_makes_one_job(
    proxy: FlakyProxy, api_url: str
) -> None:
    proxy.hang_up_after_forwarding()
    proxy.unavailable(times=1, retry_after=0)

    async with AsyncClient(proxy.url) as client:
        job = await client.submit("add", {"numbers": [6]})

    assert len(proxy.requests("POST", "/v1/jobs")) == 3
    async with AsyncClient(api_url) as direct:
        found = [job async for job in direct.list(idempotency_key=job.idempotency_key)]
    assert [one.id for one in found] == [job.id]


def test_a_cancel_whose_answer_was_lost_is_not_resent(proxy: FlakyProxy) -> None:
    with Client(proxy.url) as client:
        job = client.submit("add", {"numbers": [1]}, delay=3600)
        proxy.hang_up_after_forwarding()

        with pytest.raises(ConnectionFailed) as failed:
            client.cancel(job.id)

        assert len(proxy.requests("POST", f"/v1/jobs/{job.id}/cancel")) == 1
        assert failed.value.status is None
        assert client.get(job.id).status == "cancelled"
        with pytest.raises(Conflict):
            client.cancel(job.id)


def test_a_closed_port_is_retried_within_bounds_then_fails_as_a_connection_failure() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with (
        Client(closed, max_attempts=3, retry_budget=5) as client,
        pytest.raises(ConnectionFailed, match="ConnectError"),
    ):
        client.get(uuid.uuid4())


def test_bad_retry_bounds_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        Client(max_attempts=0)
    with pytest.raises(ValueError, match="retry_budget must be 0 or more"):
        Client(retry_budget=-1)


def test_the_api_key_goes_as_a_bearer_token_and_nowhere_else(
    proxy: FlakyProxy, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"tf-secret-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    proxy.unavailable(times=1, retry_after=0)

    with Client(proxy.url, api_key=secret) as client:
        client.submit("add", {"numbers": [1]})
        with pytest.raises(JobNotFound) as missing:
            client.get(uuid.uuid4())
        shown = repr(client)

    assert {seen.headers["authorization"] for seen in proxy.seen} == {f"Bearer {secret}"}
    assert secret not in shown
    assert secret not in str(missing.value)
    assert secret not in caplog.text
    assert caplog.records, "the HTTP libraries logged nothing: the check above saw nothing"


def test_an_api_key_that_cannot_be_a_header_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key must be a non-empty printable ASCII"):
        Client(api_key="line\nbreak")
