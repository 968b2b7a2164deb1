"""The served OpenAPI document, made exact where Litestar's generator is not: what the
server checks and answers, the document says, and nothing it refuses is left open.

Request bodies are described by msgspec, the library that validates them, so every
pattern, bound and unknown-field refusal is the validator's own. Litestar does not say
which headers an error answer carries, nor that a query value is never null."""

from typing import Any

import msgspec
from litestar import Litestar

# The plugin that serves /docs/openapi.json; Litestar keeps no public name for it.
from litestar._openapi.plugin import OpenAPIPlugin

from taskforge_domain.access import Scope as AccessScope
from taskforge_domain.callback_url import WEBHOOKS_OFF, CallbackRule
from taskforge_domain.job_limits import STORABLE_TEXT_PATTERN
from taskforge_entrypoints.rest.callback_url_schema import callback_url_schema
from taskforge_entrypoints.rest.dead_letters_controller import ReplayRequest
from taskforge_entrypoints.rest.errors import PROBLEM_JSON
from taskforge_entrypoints.rest.keys_controller import KeyCreate
from taskforge_entrypoints.rest.limits_controller import LimitPut
from taskforge_entrypoints.rest.schedule_document import describe_schedule_bodies
from taskforge_entrypoints.rest.schedules_controller import ScheduleCreate, ScheduleReplace
from taskforge_entrypoints.rest.schemas import JobBatchCreate, JobCreate

# The controllers decode these bodies themselves (request_bodies.read_json), so Litestar
# does not see them.
REQUEST_BODIES: dict[tuple[str, str], type[msgspec.Struct]] = {
    ("post", "/v1/jobs"): JobCreate,
    ("post", "/v1/jobs/batch"): JobBatchCreate,
    ("post", "/v1/dead-letters/replay"): ReplayRequest,
    ("post", "/v1/keys"): KeyCreate,
    ("post", "/v1/schedules"): ScheduleCreate,
    ("put", "/v1/schedules/{name}"): ScheduleReplace,
    ("put", "/v1/limits/{job_type}"): LimitPut,
    ("put", "/v1/queues/{name}/limit"): LimitPut,
}
BEARER = "bearer"
# A submit can also be turned away by the key's rate (API_KEY_RATE_LIMIT).
_RATED = {"/v1/jobs", "/v1/jobs/batch"}
_REF = "#/components/schemas/{name}"

# Any JSON value whose strings and keys PostgreSQL's jsonb can keep (no NUL).
STORABLE_JSON = {
    "anyOf": [
        {"type": ["null", "boolean", "number"]},
        {"type": "string", "pattern": STORABLE_TEXT_PATTERN},
        {"type": "array", "items": {"$ref": _REF.format(name="StorableJson")}},
        {
            "type": "object",
            "propertyNames": {"pattern": STORABLE_TEXT_PATTERN},
            "additionalProperties": {"$ref": _REF.format(name="StorableJson")},
        },
    ]
}

# What payload_filters.payload_contains takes: a JSON object with at least one key.
PAYLOAD_FRAGMENT = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": STORABLE_TEXT_PATTERN},
    "additionalProperties": {"$ref": _REF.format(name="StorableJson")},
}

# run_at and delay_seconds both say when a job first runs: a body gives one at most.
ONE_START_TIME = {
    "not": {
        "required": ["run_at", "delay_seconds"],
        "properties": {"run_at": {"type": "string"}, "delay_seconds": {"type": "number"}},
    }
}

# A limit holds a concurrency, a rate or both: a body gives at least one of them.
LIMIT_GIVEN = {
    "anyOf": [
        {"required": ["concurrency"], "properties": {"concurrency": {"type": "integer"}}},
        {"required": ["rate"], "properties": {"rate": {"type": "object"}}},
    ]
}

# An admin key manages keys, so it is never limited to queues.
ADMIN_COVERS_EVERY_QUEUE = {
    "not": {
        "required": ["scopes", "queues"],
        "properties": {"scopes": {"contains": {"const": "admin"}}, "queues": {"type": "array"}},
    }
}

RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
_HEADERS: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
    ("post", "/v1/jobs", "202"): {
        "Location": {
            "description": "The new job's URL (its links.self)",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    ("post", "/v1/jobs", "200"): {
        "Idempotent-Replayed": {
            "description": "The job was submitted before with this Idempotency-Key",
            "required": True,
            "schema": {"type": "string", "enum": ["true"]},
        }
    },
}
_LITESTAR_400 = "Bad request syntax or unsupported method"

# One server-sent event of GET /v1/jobs/{id}/events, as its fields: Litestar has no way
# to say what a stream's events hold.
JOB_EVENT = {
    "type": "object",
    "required": ["event", "id", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["job", "attempt"]},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
}
_EVENT_STREAMS = {("get", "/v1/jobs/{job_id}/events", "200")}


def make_exact(
    app: Litestar,
    queues: tuple[str, ...],
    callbacks: CallbackRule = WEBHOOKS_OFF,
    scopes: dict[tuple[str, str], AccessScope] | None = None,
) -> None:
    """Rewrite the app's OpenAPI document in place, before it is first served. With
    `scopes` (API_AUTH=required), each operation they name needs a bearer key of its scope."""
    document = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    _describe_bodies(document["components"]["schemas"], queues)
    document["components"]["schemas"]["JobCreate"]["properties"]["callback_url"] = (
        callback_url_schema(callbacks)
    )
    if scopes is not None:
        document["components"]["securitySchemes"] = {BEARER: {"type": "http", "scheme": "bearer"}}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                if body := REQUEST_BODIES.get((method, path)):
                    operation["requestBody"] = {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": _REF.format(name=body.__name__)}
                            }
                        },
                    }
                _describe_parameters(operation, queues)
                _describe_responses(method, path, operation)
                if scopes is not None and (method, path) in scopes:
                    rated = method == "post" and path in _RATED
                    _describe_access(operation, scopes[(method, path)], rated=rated)


def _describe_bodies(schemas: dict[str, Any], queues: tuple[str, ...]) -> None:
    _, components = msgspec.json.schema_components(REQUEST_BODIES.values(), ref_template=_REF)
    schemas.update(components)
    schemas["StorableJson"] = STORABLE_JSON
    schemas["JobCreate"].update(ONE_START_TIME)
    schemas["KeyCreate"].update(ADMIN_COVERS_EVERY_QUEUE)
    schemas["LimitPut"].update(LIMIT_GIVEN)
    schemas["JobCreate"]["properties"]["queue"]["enum"] = list(queues)
    describe_schedule_bodies(schemas, queues)
    # Litestar drops a bound of 0 from the msgspec annotation.
    job = schemas["JobOut"]["properties"]
    job["progress"]["minimum"] = 0
    job["revision"]["minimum"] = 0


def _describe_parameters(operation: dict[str, Any], queues: tuple[str, ...]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter["schema"]
        # An absent query value or header is how a client leaves it out; none is null.
        arms = [arm for arm in schema.pop("oneOf", []) if arm.get("type") != "null"]
        if len(arms) == 1:
            # What the parameter itself declares (a number read from text) outranks the arm.
            parameter["schema"] = schema = {**arms[0], **schema}
        elif arms:
            schema["oneOf"] = arms
        if parameter["in"] == "query" and parameter["name"] == "queue":
            schema["enum"] = list(queues)
        if parameter["in"] == "query" and parameter["name"] == "payload_contains":
            # A query value that is JSON text: OpenAPI's `content` form says so.
            del parameter["schema"]
            parameter["content"] = {"application/json": {"schema": PAYLOAD_FRAGMENT}}


def _describe_responses(method: str, path: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    problem = {PROBLEM_JSON: {"schema": {"$ref": _REF.format(name="Problem")}}}
    if responses.get("400", {}).get("description") == _LITESTAR_400:
        responses["400"] = {"description": "Malformed request", "content": problem}
    responses.setdefault(
        "500", {"description": "Unexpected error; the server logged it", "content": problem}
    )
    if "503" in responses and PROBLEM_JSON in responses["503"].get("content", {}):
        responses["503"]["headers"] = {"Retry-After": {**RETRY_AFTER, "required": True}}
    if "409" in responses:
        # Only a job busy with another change answers with a time to wait.
        responses["409"]["headers"] = {"Retry-After": {**RETRY_AFTER, "required": False}}
    for status, response in responses.items():
        if headers := _HEADERS.get((method, path, status)):
            response["headers"] = headers
        if (method, path, status) in _EVENT_STREAMS:
            response["content"]["text/event-stream"]["schema"] = JOB_EVENT


def _describe_access(operation: dict[str, Any], scope: AccessScope, *, rated: bool) -> None:
    operation["security"] = [{BEARER: []}]
    operation["x-required-scope"] = scope.value
    needs = f"Needs an API key with the `{scope.value}` scope (or `admin`)."
    operation["description"] = f"{operation.get('description', '')}\n\n{needs}".strip()
    problem = {PROBLEM_JSON: {"schema": {"$ref": _REF.format(name="Problem")}}}
    responses = operation["responses"]
    responses["401"] = {
        "description": "No API key, or one that is malformed, unknown, revoked or expired",
        "headers": {
            "WWW-Authenticate": {
                "description": "Bearer, as RFC 6750 says",
                "required": True,
                "schema": {"type": "string"},
            }
        },
        "content": problem,
    }
    responses["403"] = {
        "description": "The key lacks the scope, or the queue, this needs",
        "content": problem,
    }
    if rated:
        responses["429"] = {
            "description": "The key's submit rate (API_KEY_RATE_LIMIT) is used up",
            "headers": {"Retry-After": {**RETRY_AFTER, "required": True}},
            "content": problem,
        }
