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


async def test_nul_in_an_error_filter_is_422_naming_the_filter(client: httpx.AsyncClient) -> None:
    listing = await client.get("/v1/jobs", params={"error": "boom\x00"})
    replay = await client.post("/v1/dead-letters/replay", json={"error": "boom\x00"})

    for response in (listing, replay):
        problem = assert_problem(response, 422, "unsearchable-filter")
        assert str(problem["detail"]).startswith("error cannot contain the NUL character")


@pytest.mark.parametrize(
    "query",
    [
        {"updated_before": "0.5"},
        {"created_after": "2026-12-01T09:00:00"},
        {"created_after": "2026-12-01"},
        {"status": "null"},
        {"limit": "0"},
        {"limit": "null"},
        {"queue": "urgent"},
        {"job_type": "not a job type"},
    ],
)
async def test_query_values_outside_the_schema_are_refused_by_name(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    response = await client.get("/v1/jobs", params=query)

    problem = assert_problem(response, 422, "validation-failed")
    assert next(iter(query)) in str(problem["detail"]) + str(problem.get("errors"))


@pytest.mark.parametrize("cursor", ["", "nonsense", "WyJ4Il0"])
async def test_a_cursor_outside_its_pattern_is_400_even_when_empty(
    client: httpx.AsyncClient, cursor: str
) -> None:
    assert_problem(await client.get(f"/v1/jobs?cursor={cursor}"), 400, "invalid-cursor")


async def test_a_repeated_query_parameter_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/jobs?status=dead&status=completed")

    problem = assert_problem(response, 422, "validation-failed")
    assert "status is given more than once" in str(problem["detail"])


async def test_timestamps_with_far_offsets_saturate_instead_of_failing(
    client: httpx.AsyncClient,
) -> None:
    earliest = await client.get("/v1/jobs", params={"created_after": "0001-01-01T00:00:00+01:00"})
    latest = await client.post(
        "/v1/jobs", json={"job_type": "ping", "run_at": "9999-12-31T23:00:00-05:00"}
    )

    assert earliest.status_code == 200, earliest.text
    assert latest.status_code == 202, latest.text
    assert latest.json()["run_at"] == "9999-12-31T23:59:59Z"
    await client.post(f"/v1/jobs/{latest.json()['id']}/cancel")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"job_type": "ping", "run_at": 0}, "run_at"),
        ({"job_type": "ping", "max_attempts": "3"}, "max_attempts"),
        ({"job_type": "ping", "max_attempts": 2.5}, "max_attempts"),
        ({"job_type": "ping", "run_at": "2026-12-01T09:00:00"}, "run_at"),
    ],
)
async def test_body_values_are_not_coerced(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await client.post("/v1/jobs", json=body)

    problem = assert_problem(response, 422, "validation-failed")
    assert field in str(problem["detail"])


async def test_a_whole_number_written_with_a_fraction_is_an_integer(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/jobs", json={"job_type": "ping", "max_attempts": 2.0})

    assert response.status_code == 202, response.text
    assert response.json()["max_attempts"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate_per_second": 0.0}, "rate_per_second"),
        ({"dry_run": 0}, "dry_run"),
        ({"dead_after": "yesterday"}, "dead_after"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_replay_bodies_outside_the_schema_are_refused(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await client.post("/v1/dead-letters/replay", json=body)

    problem = assert_problem(response, 422, "validation-failed")
    assert field in str(problem["detail"])


async def test_an_idempotency_key_outside_printable_ascii_is_400(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/jobs", json={"job_type": "ping"}, headers={"Idempotency-Key": "caf\u00e9".encode()}
    )

    assert_problem(response, 400, "invalid-idempotency-key")
