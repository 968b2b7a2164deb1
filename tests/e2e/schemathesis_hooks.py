"""Hooks for the schemathesis run of test_schemathesis.py (named by SCHEMATHESIS_HOOKS).

Reusing an Idempotency-Key for a different job is a client error by contract (422), a
rule of the server's state that no schema can state; generated keys repeat often ("0"),
so each valid key gets a unique tail and only the schema decides what is accepted. Key
reuse has its own tests.

A long-poll and an event stream last until their job ends, longer than the run's
request timeout when the job is scheduled for later: valid waits are shortened, and a
followed job is cancelled first, so its stream ends at once. Waiting has its own tests.

A schedule the run creates (or resumes) is paused at once: hundreds of schedules firing
as often as every second would flood the run's one worker and slow every answer down.
Firing has its own tests."""

import os
import re
import uuid
from typing import Any

import httpx
import schemathesis

from taskforge_domain.job_limits import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_TAIL = 33
_LONGEST_WAIT = 3.0
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and _KEY.fullmatch(key):
        head = key[: IDEMPOTENCY_KEY_MAX_LENGTH - _TAIL]
        case.headers["Idempotency-Key"] = f"{head}-{uuid.uuid4().hex}"
    wait = (case.query or {}).get("wait")
    if isinstance(wait, str) and _NUMBER.fullmatch(wait) and 0 < float(wait) <= 60:
        case.query["wait"] = str(min(float(wait), _LONGEST_WAIT))
    # Some phases hand the value over as a number: shortened, it stays one.
    elif isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait <= 60:
        case.query["wait"] = min(wait, _LONGEST_WAIT)
    if case.path.endswith("/events"):
        job_id = (case.path_parameters or {}).get("job_id")
        base_url = os.environ["TASKFORGE_SCHEMATHESIS_BASE_URL"]
        key = os.environ.get("TASKFORGE_TEST_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        httpx.post(f"{base_url}/v1/jobs/{job_id}/cancel", headers=headers, timeout=10)


_SCHEDULE = re.compile(r"^/v1/schedules/([^/]+)/resume$")


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    name: str | None = None
    if case.method == "POST" and case.path == "/v1/schedules" and response.status_code == 201:
        name = response.json()["name"]
    elif case.method == "POST" and response.status_code == 200:
        resumed = _SCHEDULE.fullmatch(case.formatted_path)
        name = resumed.group(1) if resumed else None
    if name is None:
        return
    key = os.environ.get("TASKFORGE_TEST_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    base_url = os.environ["TASKFORGE_SCHEMATHESIS_BASE_URL"]
    httpx.post(f"{base_url}/v1/schedules/{name}/pause", headers=headers, timeout=10)
