import hashlib
import hmac

from taskforge_client import verify_signature
from taskforge_domain.webhook_signature import signature_header

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
