"""The served OpenAPI schema is honest: schemathesis finds no 5xx and no response off-schema."""

import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import Stack

CONTRACT_CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


async def test_openapi_schema_and_docs_page_are_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/docs/openapi.json")).json()
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


def test_schemathesis_finds_no_server_error_and_no_off_schema_response(
    stack: Stack, tmp_path: Path
) -> None:
    schemathesis = Path(sys.executable).with_name("st")

    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{stack.base_url}/docs/openapi.json",
            "--checks",
            CONTRACT_CHECKS,
            "--max-time",
            "20",
            "--request-timeout",
            "10",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
