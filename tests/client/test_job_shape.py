"""The client's Job mirrors the job the API documents, so decoding cannot drift from it."""

import httpx
import msgspec

from taskforge_client import Job


def test_every_field_of_the_client_job_is_a_field_the_api_documents(api_url: str) -> None:
    schema = httpx.get(f"{api_url}/docs/openapi.json", timeout=10).json()
    # GET /v1/jobs/{id} answers the job with its webhook deliveries, every other answer
    # the job alone; the client decodes both into one Job.
    documented = schema["components"]["schemas"]["JobWithWebhookOut"]
    assert set(schema["components"]["schemas"]["JobOut"]["properties"]) < set(
        documented["properties"]
    )

    fields = {field.encode_name: field for field in msgspec.structs.fields(Job)}

    assert set(fields) <= set(documented["properties"])
    required = {name for name, field in fields.items() if field.required}
    assert required <= set(documented["required"])
