"""The served OpenAPI document states what the server checks and answers; the full search
for disagreements is test_schemathesis.py, these pin down the classes it once found."""

import uuid
from typing import Any

import httpx

from taskforge_domain.job_limits import IDEMPOTENCY_KEY_PATTERN

JOB_OPERATIONS = [
    ("get", "/v1/jobs"),
    ("post", "/v1/jobs"),
    ("get", "/v1/jobs/{job_id}"),
    ("get", "/v1/jobs/{job_id}/attempts"),
    ("get", "/v1/jobs/{job_id}/events"),
    ("post", "/v1/jobs/{job_id}/cancel"),
    ("post", "/v1/jobs/{job_id}/replay"),
    ("post", "/v1/jobs/{job_id}/retry"),
    ("post", "/v1/jobs/batch"),
    ("post", "/v1/dead-letters/replay"),
]


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


async def test_openapi_schema_and_docs_page_are_served(client: httpx.AsyncClient) -> None:
    schema = await openapi(client)
    docs = await client.get("/docs")

    assert {
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/replay",
        "/health",
        "/ready",
    } <= set(schema["paths"])
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


async def test_options_allows_every_method_the_path_serves(client: httpx.AsyncClient) -> None:
    schema = await openapi(client)

    # Every documented path, so a new path serving several methods cannot miss one.
    for path, operations in schema["paths"].items():
        concrete = path.replace("{job_id}", str(uuid.uuid4())).replace("{job_type}", "ping")
        response = await client.options(concrete)
        allowed = {method.strip() for method in response.headers["allow"].split(",")}

        assert response.status_code == 204, path
        assert allowed == {method.upper() for method in operations} | {"OPTIONS"}, path


async def test_every_job_operation_documents_503_with_retry_after_and_500(
    client: httpx.AsyncClient,
) -> None:
    paths = (await openapi(client))["paths"]

    for method, path in JOB_OPERATIONS:
        responses = paths[path][method]["responses"]
        assert responses["503"]["headers"]["Retry-After"]["required"] is True, (method, path)
        assert "application/problem+json" in responses["500"]["content"], (method, path)


async def test_submit_documents_its_headers_and_bodies_refuse_unknown_fields(
    client: httpx.AsyncClient,
) -> None:
    schema = await openapi(client)
    submit = schema["paths"]["/v1/jobs"]["post"]
    key = next(p for p in submit["parameters"] if p["name"] == "Idempotency-Key")
    bodies = schema["components"]["schemas"]

    assert key["schema"]["pattern"] == IDEMPOTENCY_KEY_PATTERN
    assert key["schema"]["maxLength"] == 255
    assert "Location" in submit["responses"]["202"]["headers"]
    assert "Idempotent-Replayed" in submit["responses"]["200"]["headers"]
    for body in ("JobCreate", "JobBatchCreate", "ReplayRequest"):
        assert bodies[body]["additionalProperties"] is False, body
    assert bodies["JobCreate"]["properties"]["queue"]["enum"] == ["high", "normal", "low"]
    assert (
        bodies["ReplayRequest"]["properties"]["rate_per_second"]["anyOf"][0]["exclusiveMinimum"]
        == 0
    )


async def test_query_parameters_state_their_formats_and_are_never_null(
    client: httpx.AsyncClient,
) -> None:
    listing = (await openapi(client))["paths"]["/v1/jobs"]["get"]
    # payload_contains is JSON text, stated as `content` (test_payload_search.py).
    schemas = {p["name"]: p["schema"] for p in listing["parameters"] if "schema" in p}

    assert schemas["updated_before"] == {
        "type": "string",
        "format": "date-time",
        "description": "RFC 3339, like 2026-12-01T09:00:00Z",
    }
    assert schemas["limit"]["type"] == "integer"
    assert (schemas["limit"]["minimum"], schemas["limit"]["maximum"]) == (1, 500)
    assert "\\x00" in schemas["error"]["pattern"]
    assert all("oneOf" not in schema for schema in schemas.values())


async def test_the_long_poll_and_the_event_stream_are_documented(
    client: httpx.AsyncClient,
) -> None:
    schema = await openapi(client)
    get_job = schema["paths"]["/v1/jobs/{job_id}"]["get"]
    wait = next(p for p in get_job["parameters"] if p["name"] == "wait")
    events = schema["paths"]["/v1/jobs/{job_id}/events"]["get"]
    job = schema["components"]["schemas"]["JobOut"]

    assert (wait["schema"]["type"], wait["schema"]["exclusiveMinimum"]) == ("number", 0)
    assert wait["schema"]["maximum"] == 60
    assert "422" in get_job["responses"]
    assert "text/event-stream" in events["responses"]["200"]["content"]
    assert "application/problem+json" in events["responses"]["404"]["content"]
    assert {"revision", "progress", "progress_message"} <= set(job["required"])
