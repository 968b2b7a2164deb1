"""taskforge_enqueue() and POST /v1/jobs take the same inputs and refuse the same ones.

The API's side is its own code: the request body's schema (strict_convert), new_job's
rules and Job.submit; the SQL side is the function, in a transaction rolled back. Fixed
edge cases first, then generated ones near every rule's edges."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskforge_domain.job import Job
from taskforge_domain.job_limits import holds_nul
from taskforge_entrypoints.rest.errors import InvalidJob
from taskforge_entrypoints.rest.job_requests import new_job
from taskforge_entrypoints.rest.request_bodies import strict_convert
from taskforge_entrypoints.rest.schemas import JobBatchItem

QUEUES = ("high", "normal", "low")
DEFAULT_MAX_ATTEMPTS = 5
ENQUEUE = "SELECT taskforge_enqueue($1, $2, $3, $4, $5, $6)"


class _Rollback(Exception):
    pass


def api_accepts(fields: dict[str, Any]) -> bool:
    try:
        item = strict_convert(fields, JobBatchItem)
        request = new_job(item, item.idempotency_key, QUEUES)
        Job.submit(
            job_id=uuid4(),
            job_type=request.job_type,
            payload=request.payload,
            max_attempts=request.max_attempts or DEFAULT_MAX_ATTEMPTS,
            now=datetime.now(UTC),
            idempotency_key=request.idempotency_key,
            run_at=request.run_at,
            queue=request.queue,
        )
    except (msgspec.ValidationError, InvalidJob, ValueError):
        return False
    # The API's store refuses these as payload-not-storable (422), after the rules above.
    return not holds_nul(request.payload)


async def sql_accepts(pool: Any, fields: dict[str, Any]) -> bool:
    run_at = fields.get("run_at")
    values = (
        fields.get("job_type"),
        fields.get("payload", {}),
        fields.get("queue", "normal"),
        fields.get("max_attempts"),
        None if run_at is None else datetime.fromisoformat(run_at),
        fields.get("idempotency_key"),
    )
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.fetchval(ENQUEUE, *values)
            raise _Rollback
    except _Rollback:
        return True
    except asyncpg.PostgresError as exc:
        # TF…: the function's own rules; 22…: text or jsonb PostgreSQL cannot hold (NUL).
        if not exc.sqlstate.startswith(("TF", "22")):
            raise
        return False


CASES: list[dict[str, Any]] = [
    {"job_type": "ping"},
    {"job_type": "Report.Build:v2_x-1"},
    {"job_type": "9lives"},
    {"job_type": ""},
    {"job_type": "_private"},
    {"job_type": "a b"},
    {"job_type": "ping\n"},
    {"job_type": "\nping"},
    {"job_type": "pïng"},
    {"job_type": "x" * 100},
    {"job_type": "x" * 101},
    {"job_type": "nul\x00"},
    {"job_type": None},
    {"job_type": "ping", "payload": None},
    {"job_type": "ping", "queue": None},
    {"job_type": "ping", "max_attempts": None, "idempotency_key": None, "run_at": None},
    {"job_type": "ping", "payload": {}},
    {"job_type": "ping", "payload": {"nested": {"list": [1, 2.5, None, True, "s"]}}},
    {"job_type": "ping", "payload": []},
    {"job_type": "ping", "payload": "text"},
    {"job_type": "ping", "payload": 1},
    {"job_type": "ping", "payload": {"text": "has \x00 NUL"}},
    {"job_type": "ping", "payload": {"key\x00": 1}},
    {"job_type": "ping", "payload": {"emoji": "🙂", "escaped": "\\u0000"}},
    {"job_type": "ping", "queue": "high"},
    {"job_type": "ping", "queue": "low"},
    {"job_type": "ping", "queue": "nightly"},
    {"job_type": "ping", "queue": "HIGH"},
    {"job_type": "ping", "queue": "low\n"},
    {"job_type": "ping", "queue": ""},
    {"job_type": "ping", "max_attempts": 1},
    {"job_type": "ping", "max_attempts": 100},
    {"job_type": "ping", "max_attempts": 0},
    {"job_type": "ping", "max_attempts": 101},
    {"job_type": "ping", "max_attempts": -3},
    {"job_type": "ping", "run_at": "2020-01-01T00:00:00+00:00"},
    {"job_type": "ping", "run_at": "2999-12-31T23:59:59+02:00"},
    {"job_type": "ping", "idempotency_key": "order-42"},
    {"job_type": "ping", "idempotency_key": "with inner space"},
    {"job_type": "ping", "idempotency_key": "!~"},
    {"job_type": "ping", "idempotency_key": ""},
    {"job_type": "ping", "idempotency_key": " lead"},
    {"job_type": "ping", "idempotency_key": "trail "},
    {"job_type": "ping", "idempotency_key": "key\n"},
    {"job_type": "ping", "idempotency_key": "tab\tinside"},
    {"job_type": "ping", "idempotency_key": "clé"},
    {"job_type": "ping", "idempotency_key": "k" * 255},
    {"job_type": "ping", "idempotency_key": "k" * 256},
]


@pytest.mark.parametrize("fields", CASES, ids=repr)
async def test_sql_and_the_api_agree_on_each_edge_case(
    pg_pool: Any, fields: dict[str, Any]
) -> None:
    assert await sql_accepts(pg_pool, fields) == api_accepts(fields)


_EDGE_TEXT = st.text(
    alphabet=st.sampled_from("aZ09_.:-~! \t\n\x00é\x7f"), min_size=0, max_size=6
) | st.sampled_from(["x" * 100, "x" * 101, "k" * 255, "k" * 256])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
_FIELDS = st.fixed_dictionaries(
    {"job_type": _EDGE_TEXT},
    optional={
        "payload": st.dictionaries(st.text(max_size=4), _JSON, max_size=3) | _JSON,
        "queue": st.sampled_from(["high", "normal", "low", "nightly", "", "Normal"]) | _EDGE_TEXT,
        "max_attempts": st.none() | st.integers(-2, 103),
        "idempotency_key": _EDGE_TEXT,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=_FIELDS)
async def test_sql_and_the_api_agree_on_generated_requests(
    pg_pool: Any, fields: dict[str, Any]
) -> None:
    assert await sql_accepts(pg_pool, fields) == api_accepts(fields), fields
