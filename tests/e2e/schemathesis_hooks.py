"""Hooks for the schemathesis run of test_schemathesis.py (named by SCHEMATHESIS_HOOKS).

Reusing an Idempotency-Key for a different job is a client error by contract (422), a
rule of the server's state that no schema can state; generated keys repeat often ("0"),
so each valid key gets a unique tail and only the schema decides what is accepted. Key
reuse has its own tests."""

import re
import uuid
from typing import Any

import schemathesis

from taskforge_domain.job_limits import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_TAIL = 33


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and _KEY.fullmatch(key):
        head = key[: IDEMPOTENCY_KEY_MAX_LENGTH - _TAIL]
        case.headers["Idempotency-Key"] = f"{head}-{uuid.uuid4().hex}"
