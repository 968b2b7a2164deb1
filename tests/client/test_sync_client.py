"""Client, the blocking one, against a real API and worker."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from taskforge_client import (
    Client,
    Conflict,
    IdempotencyKeyReused,
    JobNotFound,
    NewJob,
    ValidationFailed,
)
from tests.client.flaky_proxy import FlakyProxy
from tests.client.job_polling import poll_until


@pytest.fixture
def client(api_url: str) -> Iterator[Client]:
    with Client(api_url) as opened:
        yield opened


def test_a_submitted_job_comes_back_typed_and_runs_to_completion(client: Client) -> None:
    job = client.submit("add", {"numbers": [1, 2, 3]}, queue="high", max_attempts=2)

    assert job.status in {"pending", "queued", "running", "completed"}
    assert (job.job_type, job.queue, job.max_attempts) == ("add", "high", 2)
    assert job.payload == {"numbers": [1, 2, 3]}
    assert job.links.self.endswith(f"/v1/jobs/{job.id}")
    assert job.created_at.tzinfo is not None
    done = poll_until(client, job.id, {"completed", "dead"})
    assert (done.status, done.result, done.finished) == ("completed", {"sum": 6}, True)


def test_a_submit_without_a_key_is_given_a_fresh_one(client: Client) -> None:
    first = client.submit("add", {"numbers": [1]})
    second = client.submit("add", {"numbers": [1]})

    assert first.idempotency_key
    assert second.idempotency_key
    assert str(uuid.UUID(first.idempotency_key)) == first.idempotency_key
    assert first.idempotency_key != second.idempotency_key
    assert first.id != second.id


def test_the_same_key_names_the_same_job_and_a_different_job_is_refused(client: Client) -> None:
    key = f"order-{uuid.uuid4()}"
    first = client.submit("add", {"numbers": [2]}, idempotency_key=key)
    again = client.submit("add", {"numbers": [2]}, idempotency_key=key)

    assert again.id == first.id
    with pytest.raises(IdempotencyKeyReused) as refused:
        client.submit("add", {"numbers": [3]}, idempotency_key=key)
    assert (refused.value.status, refused.value.code) == (422, "idempotency-key-reused")
    assert refused.value.detail


def test_invalid_fields_are_refused_with_the_field_named(client: Client) -> None:
    with pytest.raises(ValidationFailed) as refused:
        client.submit("add", {}, max_attempts=0)

    assert (refused.value.status, refused.value.code) == (422, "validation-failed")
    assert "max_attempts" in (refused.value.detail or "")
    assert [error.key for error in refused.value.errors] == ["max_attempts"]


def test_an_unknown_queue_and_a_naive_run_at_are_refused(client: Client) -> None:
    with pytest.raises(ValidationFailed, match="queue must be one of"):
        client.submit("add", queue="nowhere")
    with pytest.raises(ValidationFailed, match="timezone") as naive:
        client.submit("add", run_at=datetime(2030, 1, 1))
    assert [error.key for error in naive.value.errors] == ["run_at"]


def test_an_unknown_job_is_not_found_and_a_malformed_id_never_leaves(client: Client) -> None:
    with pytest.raises(JobNotFound) as missing:
        client.get(uuid.uuid4())

    assert (missing.value.status, missing.value.code) == (404, "job-not-found")
    with pytest.raises(ValueError, match="'nope' is not a job id"):
        client.get("nope")


def test_a_delayed_job_waits_until_cancelled_and_a_second_cancel_conflicts(
    client: Client,
) -> None:
    job = client.submit("add", {"numbers": [1]}, delay=timedelta(hours=1))
    later = client.submit("add", {"numbers": [1]}, run_at=datetime.now(UTC) + timedelta(hours=1))

    assert (job.status, later.status) == ("scheduled", "scheduled")
    assert job.run_at - job.created_at > timedelta(minutes=59)
    cancelled = client.cancel(job.id)
    assert cancelled.status == "cancelled"
    assert client.get(job.id).status == "cancelled"
    with pytest.raises(Conflict) as conflict:
        client.cancel(job.id)
    assert (conflict.value.status, conflict.value.code) == (409, "job-state-conflict")
    client.cancel(later.id)


def test_a_dead_job_is_replayed_and_a_live_one_cannot_be(client: Client) -> None:
    job = client.submit("dead")
    dead = poll_until(client, job.id, {"dead"})

    replayed = client.replay(dead.id, attempts=1)

    assert replayed.replays == 1
    assert replayed.max_attempts >= 1
    assert poll_until(client, job.id, {"dead"}).replays == 1
    waiting = client.submit("add", {"numbers": [1]}, delay=3600)
    with pytest.raises(Conflict):
        client.replay(waiting.id)
    client.cancel(waiting.id)


def test_list_follows_every_page_newest_first(client: Client, proxy: FlakyProxy) -> None:
    job_type = f"page_{uuid.uuid4().hex[:8]}"
    submitted = [client.submit(job_type, {"n": n}, delay=3600) for n in range(7)]

    with Client(proxy.url) as through_proxy:
        listed = list(through_proxy.list(job_type=job_type, page_size=3))

    assert [job.id for job in listed] == [job.id for job in reversed(submitted)]
    assert len(proxy.requests("GET", "/v1/jobs")) == 3
    assert list(client.list(job_type=job_type, status="cancelled")) == []


def test_submit_many_answers_each_item_in_order_over_several_requests(
    client: Client, proxy: FlakyProxy
) -> None:
    key = f"batch-{uuid.uuid4()}"
    client.submit("add", {"numbers": [1]}, idempotency_key=key)
    items: list[NewJob | dict[str, object]] = [
        NewJob(job_type="add", payload={"numbers": [n]}) for n in range(2_500)
    ]
    items[10] = {"job_type": "add", "payload": {"numbers": [1]}, "idempotency_key": key}
    items[1_500] = {"job_type": "add", "max_attempts": 0}
    items[2_499] = {"job_type": "add", "payload": {"numbers": [9]}, "idempotency_key": key}

    with Client(proxy.url) as through_proxy:
        results = through_proxy.submit_many(items)

    assert len(proxy.requests("POST", "/v1/jobs/batch")) == 3
    assert [result.index for result in results] == list(range(2_500))
    assert results[0].created
    assert results[0].job is not None
    assert results[10].status == 200
    assert not results[10].created
    assert isinstance(results[1_500].error, ValidationFailed)
    assert (results[1_500].error.detail or "").startswith("jobs[1500]: ")
    assert isinstance(results[2_499].error, IdempotencyKeyReused)
    assert sum(result.created for result in results) == 2_497
    keys = {result.idempotency_key for result in results if result.created}
    assert len(keys) == 2_497


def test_submit_many_refuses_an_item_that_is_not_a_job(client: Client) -> None:
    with pytest.raises(ValueError, match="not a job for submit_many"):
        client.submit_many([{"payload": {}}])
