import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from taskforge_client import verify_signature
from taskforge_domain.webhook_signature import signature_header
from tests.conftest import PROJECT_ROOT

SECRET = b"a-test-secret-of-some-length"
BODY = b'{"id":"3f0c","status":"completed"}'
NOW = 1_790_000_000


def test_the_header_is_the_hmac_of_the_timestamp_and_the_body() -> None:
    header = signature_header(SECRET, NOW, BODY)

    expected = hmac.new(SECRET, b"1790000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_the_clients_check_takes_what_the_service_signed() -> None:
    header = signature_header(SECRET, NOW, BODY)

    assert verify_signature(SECRET.decode(), header, BODY, now=NOW + 10)


def test_a_changed_body_another_secret_or_an_old_signature_is_refused() -> None:
    header = signature_header(SECRET, NOW, BODY)

    assert not verify_signature(SECRET, header, BODY + b" ", now=NOW)
    assert not verify_signature(b"another-secret-entirely", header, BODY, now=NOW)
    assert not verify_signature(SECRET, header, BODY, now=NOW + 301)
    assert verify_signature(SECRET, header, BODY, now=NOW + 301, tolerance_seconds=600)


def test_a_malformed_header_is_refused() -> None:
    assert not verify_signature(SECRET, "v1=abc", BODY, now=NOW)
    assert not verify_signature(SECRET, "t=soon,v1=abc", BODY, now=NOW)
    assert not verify_signature(SECRET, f"t={NOW}", BODY, now=NOW)


def readme_verify() -> Callable[..., bool]:
    """The receiver's check as the README's "Completion webhooks" section writes it."""
    section = (PROJECT_ROOT / "README.md").read_text().split("## Completion webhooks\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), scope)
    verify: Callable[..., bool] = scope["verify"]
    return verify


def test_the_readme_check_takes_a_fresh_signature_and_refuses_a_tampered_or_old_one() -> None:
    verify = readme_verify()
    now = int(time.time())

    assert verify(SECRET, signature_header(SECRET, now, BODY), BODY)
    assert not verify(SECRET, signature_header(SECRET, now, BODY), BODY + b"x")
    assert not verify(SECRET, signature_header(SECRET, now - 301, BODY), BODY)
