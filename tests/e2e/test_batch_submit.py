"""POST /v1/jobs/batch: many jobs in one request, each answered on its own."""

import uuid

import httpx

from tests.e2e.processes import wait_for_status


async def submit_batch(client: httpx.AsyncClient, jobs: list[object]) -> httpx.Response:
    return await client.post("/v1/jobs/batch", json={"jobs": jobs})


async def test_a_batch_answers_every_item_in_order_and_runs_the_valid_ones(
    client: httpx.AsyncClient,
) -> None:
    key = f"batch-{uuid.uuid4()}"
    jobs: list[object] = [
        {"job_type": "ping", "payload": {"message": "first"}},
        {"job_type": 5},
        {"job_type": "ping", "idempotency_key": key, "payload": {"n": 1}},
        {"job_type": "ping", "idempotency_key": key, "payload": {"n": 1}},
        {"job_type": "ping", "idempotency_key": key, "payload": {"n": 2}},
        {"job_type": "ping", "payload": {"text": "nul \u0000 inside"}},
        "not an object",
    ]

    response = await submit_batch(client, jobs)

    assert response.status_code == 200
    body = response.json()
    statuses = [result["status"] for result in body["results"]]
    assert [result["index"] for result in body["results"]] == list(range(7))
    assert statuses == [202, 422, 202, 200, 422, 422, 422]
    assert (body["accepted"], body["replayed"], body["rejected"]) == (2, 1, 4)
    results = body["results"]
    assert results[1]["error"]["code"] == "validation-failed"
    assert "jobs[1]" in results[1]["error"]["detail"]
    assert results[3]["job"]["id"] == results[2]["job"]["id"]
    assert results[4]["error"]["code"] == "idempotency-key-reused"
    assert results[5]["error"]["code"] == "payload-not-storable"
    assert results[6]["error"]["code"] == "validation-failed"
    done = await wait_for_status(client, results[0]["job"]["id"])
    assert done["status"] == "completed"
    assert done["result"] == {"message": "first"}


async def test_a_batch_of_a_thousand_is_accepted_and_more_is_refused(
    client: httpx.AsyncClient,
) -> None:
    thousand = [{"job_type": "ping", "payload": {"i": i}} for i in range(1000)]

    accepted = await submit_batch(client, thousand)
    too_many = await submit_batch(client, [*thousand, {"job_type": "ping"}])
    empty = await submit_batch(client, [])

    assert accepted.status_code == 200
    assert accepted.json()["accepted"] == 1000
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "validation-failed"
    assert empty.status_code == 422
