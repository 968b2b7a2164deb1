"""Every bad input gets a problem document with a stable code, never a 500."""

import httpx
import pytest


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"] == f"urn:taskforge:problem:{code}"
    assert problem["title"]
    assert "Traceback" not in response.text
    return problem


@pytest.mark.parametrize(
    ("body", "code", "mentions"),
    [
        (b'{"job_type": "ping",', "malformed-json", "not valid json"),
        (b'{"payload": {}}', "validation-failed", "job_type"),
        (b'{"job_type": ""}', "validation-failed", "job_type"),
        (b'{"job_type": 7}', "validation-failed", "job_type"),
        (b'{"job_type": "ping", "payload": [1, 2]}', "validation-failed", "payload"),
        (b'{"job_type": "ping", "payload": "text"}', "validation-failed", "payload"),
        (b'{"job_type": "ping", "surprise": 1}', "validation-failed", "surprise"),
        (b'{"job_type": "ping", "max_attempts": 0}', "validation-failed", "max_attempts"),
        (b"[]", "validation-failed", "object"),
    ],
)
async def test_invalid_job_bodies_are_refused_by_name(
    client: httpx.AsyncClient, body: bytes, code: str, mentions: str
) -> None:
    response = await client.post(
        "/v1/jobs", content=body, headers={"Content-Type": "application/json"}
    )

    problem = assert_problem(response, 400 if code == "malformed-json" else 422, code)
    assert mentions in str(problem["detail"]).lower() + str(problem.get("errors"))


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"job_type": "ping", "payload": {"blob": "' + b"x" * (1024 * 1024) + b'"}}'

    response = await client.post(
        "/v1/jobs", content=body, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 413, "body-too-large")


async def test_non_json_media_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/jobs", data={"job_type": "ping"})

    problem = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in str(problem["detail"])


async def test_malformed_job_id_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/jobs/not-a-uuid"), 404, "not-found")


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/jobs/00000000-0000-4000-8000-000000000000")

    assert_problem(response, 404, "job-not-found")


async def test_over_long_idempotency_key_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/jobs", json={"job_type": "ping"}, headers={"Idempotency-Key": "k" * 300}
    )

    assert_problem(response, 400, "invalid-idempotency-key")
