"""GET /v1/jobs finds jobs by their payload: a path equal to a value, or a fragment the
payload contains; keyset pages keep the search; bad searches are 400 naming the filter."""

import json
import uuid
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.test_bad_input import assert_problem


async def submit(client: httpx.AsyncClient, payload: dict[str, object]) -> str:
    response = await client.post("/v1/jobs", json={"job_type": "ping", "payload": payload})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def listed(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get("/v1/jobs", params=params)
    assert response.status_code == 200, response.text
    return [job["id"] for job in response.json()["jobs"]]


async def test_a_path_equal_to_a_value_finds_the_number_and_the_string_it_spells(
    client: httpx.AsyncClient,
) -> None:
    tenant = uuid.uuid4().hex
    as_number = await submit(client, {"tenant": tenant, "customer": {"id": 42}})
    as_string = await submit(client, {"tenant": tenant, "customer": {"id": "42"}})
    await submit(client, {"tenant": tenant, "customer": {"id": 43}})
    await submit(client, {"tenant": tenant, "customer": [{"id": 42}]})

    found = await listed(
        client, payload_equals="customer.id=42", payload_contains=json.dumps({"tenant": tenant})
    )
    by_string = await listed(client, payload_equals=f"tenant={tenant}")

    assert found == [as_string, as_number]
    assert len(by_string) == 4


async def test_a_fragment_matches_payloads_that_contain_it(client: httpx.AsyncClient) -> None:
    tenant = uuid.uuid4().hex
    both = await submit(client, {"tenant": tenant, "tags": ["vip", "eu"], "n": 1})
    vip = await submit(client, {"tenant": tenant, "tags": ["vip"]})
    await submit(client, {"tenant": tenant, "tags": ["eu"]})

    found = await listed(client, payload_contains=json.dumps({"tenant": tenant, "tags": ["vip"]}))
    exact = await listed(
        client, payload_contains=json.dumps({"tenant": tenant, "tags": ["eu", "vip"], "n": 1})
    )

    assert found == [vip, both]
    assert exact == [both]


async def test_pages_of_a_payload_search_keep_the_search_and_see_every_job_once(
    client: httpx.AsyncClient,
) -> None:
    tenant = uuid.uuid4().hex
    ids = {await submit(client, {"tenant": tenant, "n": n}) for n in range(7)}
    await submit(client, {"tenant": "someone else"})

    seen: list[str] = []
    fragment = quote(json.dumps({"tenant": tenant}))
    url: str | None = (
        f"/v1/jobs?payload_equals=tenant%3D{tenant}&payload_contains={fragment}&limit=3"
    )
    while url:
        page = (await client.get(url)).json()
        seen += [job["id"] for job in page["jobs"]]
        url = page["next"]

    assert len(seen) == len(ids)
    assert set(seen) == ids


@pytest.mark.parametrize(
    ("params", "parameter", "mentions"),
    [
        ({"payload_contains": "{not json"}, "payload_contains", "not valid JSON"),
        ({"payload_contains": "[1, 2]"}, "payload_contains", "JSON object"),
        ({"payload_contains": "{}"}, "payload_contains", "at least one key"),
        ({"payload_equals": "customer.id"}, "payload_equals", "PATH=VALUE"),
        ({"payload_equals": "customer..id=4"}, "payload_equals", "empty key"),
        ({"payload_equals": ".id=4"}, "payload_equals", "empty key"),
        ({"payload_equals": "=4"}, "payload_equals", "empty key"),
        ({"payload_equals": ".".join(["k"] * 33) + "=1"}, "payload_equals", "at most 32"),
        ({"payload_equals": "k=" + "v" * 1000}, "payload_equals", "longer than 1000"),
    ],
)
async def test_a_payload_search_not_in_its_form_is_a_400_naming_it(
    client: httpx.AsyncClient, params: dict[str, str], parameter: str, mentions: str
) -> None:
    problem = assert_problem(
        await client.get("/v1/jobs", params=params), 400, "invalid-payload-filter"
    )

    assert str(problem["detail"]).startswith(parameter)
    assert mentions in str(problem["detail"])
    assert problem["errors"] == [{"key": parameter, "message": problem["detail"]}]


async def test_a_payload_search_for_text_the_store_cannot_compare_is_refused(
    client: httpx.AsyncClient,
) -> None:
    nul_in_fragment = await client.get("/v1/jobs", params={"payload_contains": '{"a":"\\u0000"}'})
    nul_in_value = await client.get("/v1/jobs", params={"payload_equals": "a=\x00"})

    assert assert_problem(nul_in_fragment, 422, "unsearchable-filter")["detail"] == (
        "payload_contains cannot contain the NUL character (\\u0000)"
    )
    assert_problem(nul_in_value, 422, "unsearchable-filter")


async def test_the_document_states_both_payload_searches(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/docs/openapi.json")).json()["paths"]["/v1/jobs"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

    fragment = parameters["payload_contains"]["content"]["application/json"]["schema"]
    assert fragment["type"] == "object"
    assert fragment["minProperties"] == 1
    assert parameters["payload_equals"]["schema"]["maxLength"] == 1000


async def test_the_estimate_takes_the_listing_filters_and_is_labelled_an_estimate(
    client: httpx.AsyncClient,
) -> None:
    tenant = uuid.uuid4().hex
    for n in range(3):
        await submit(client, {"tenant": tenant, "n": n})

    answer = await client.get("/v1/jobs/estimate", params={"payload_equals": f"tenant={tenant}"})
    bad = await client.get("/v1/jobs/estimate", params={"payload_contains": "[]"})
    unknown_queue = await client.get("/v1/jobs/estimate", params={"queue": "nowhere"})

    assert answer.status_code == 200, answer.text
    assert list(answer.json()) == ["estimated_count"]
    assert answer.json()["estimated_count"] >= 0
    assert_problem(bad, 400, "invalid-payload-filter")
    assert_problem(unknown_queue, 422, "validation-failed")
