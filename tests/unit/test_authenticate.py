import logging
from datetime import timedelta

import pytest

from taskforge_app.authenticate import Authenticate, Unauthenticated
from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.key_secrets import new_key
from taskforge_app.manage_keys import (
    CreatedKey,
    CreateKey,
    InvalidKeyRequest,
    KeyNotFound,
    RevokeKey,
)
from taskforge_app.ports.api_keys import KeyNameTaken
from taskforge_domain.access import Forbidden, Grant, Scope
from tests.unit.fakes import FixedClock, InMemoryApiKeys, InMemoryAuditTrail

READ_HIGH = Grant(frozenset({Scope.READ}), frozenset({"high"}))


@pytest.fixture
def keys() -> InMemoryApiKeys:
    return InMemoryApiKeys()


@pytest.fixture
def audit() -> InMemoryAuditTrail:
    return InMemoryAuditTrail()


@pytest.fixture
def authenticate(keys: InMemoryApiKeys, clock: FixedClock) -> Authenticate:
    return Authenticate(keys, clock)


async def made(
    keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock, **options: object
) -> CreatedKey:
    create = CreateKey(keys, audit, clock)
    return await create(ANONYMOUS, "reader", READ_HIGH, **options)  # type: ignore[arg-type]


async def test_a_valid_key_names_its_caller_and_grant(
    authenticate: Authenticate, keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    created = await made(keys, audit, clock)
    caller = await authenticate(f"Bearer {created.token}", "req-1")
    assert (caller.name, caller.grant, caller.request_id) == ("reader", READ_HIGH, "req-1")
    assert (await authenticate(f"bearer  {created.token} ", None)).name == "reader"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "send an API key as Authorization: Bearer <key>"),
        ("", "send an API key"),
        ("Basic abc", "must be: Bearer <key>"),
        ("Bearer", "must be: Bearer <key>"),
        ("Bearer tfk_nope", "the API key is malformed"),
        (f"Bearer tfk_{'0' * 16}_{'A' * 43}", "the API key is not known"),
    ],
)
async def test_calls_without_a_usable_key_are_refused(
    authenticate: Authenticate, header: str | None, reason: str
) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        await authenticate(header, None)


async def test_a_known_key_id_with_another_secret_is_not_known(
    authenticate: Authenticate, keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    created = await made(keys, audit, clock)
    forged = created.token[: len("tfk_") + 17] + "B" * 43
    with pytest.raises(Unauthenticated, match=r"^the API key is not known$"):
        await authenticate(f"Bearer {forged}", None)


async def test_a_revoked_key_is_refused_at_once(
    authenticate: Authenticate, keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    created = await made(keys, audit, clock)
    await RevokeKey(keys, audit, clock)(ANONYMOUS, "reader")
    with pytest.raises(Unauthenticated, match=r"^the API key is revoked$"):
        await authenticate(f"Bearer {created.token}", None)


async def test_a_key_is_refused_from_its_expiry_on(
    authenticate: Authenticate, keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    created = await made(keys, audit, clock, expires_in=timedelta(minutes=5))
    clock.advance(timedelta(minutes=5) - timedelta(microseconds=1))
    await authenticate(f"Bearer {created.token}", None)
    clock.advance(timedelta(microseconds=1))
    with pytest.raises(Unauthenticated, match=r"^the API key is expired$"):
        await authenticate(f"Bearer {created.token}", None)


async def test_a_refused_key_is_logged_by_its_id_never_its_secret(
    authenticate: Authenticate,
    keys: InMemoryApiKeys,
    audit: InMemoryAuditTrail,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = await made(keys, audit, clock)
    secret = created.token[len("tfk_") + 17 :]
    forged = f"tfk_{created.key.key_id}_{'C' * 43}"
    caplog.set_level(logging.WARNING)
    for token in (forged, "tfk_" + secret, created.token + "x"):
        with pytest.raises(Unauthenticated):
            await authenticate(f"Bearer {token}", "req-9")
    assert f"tfk_{created.key.key_id}" in caplog.text
    assert secret not in caplog.text
    assert "C" * 43 not in caplog.text


async def test_only_the_secret_s_hash_is_stored_and_creation_is_audited(
    keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    created = await made(keys, audit, clock, expires_in=timedelta(days=30))
    stored = keys.keys["reader"]
    secret = created.token[len("tfk_") + 17 :]
    assert secret not in repr(stored)
    assert stored.expires_at == clock.now() + timedelta(days=30)
    [entry] = audit.entries_recorded
    assert (entry.actor, entry.action) == ("anonymous", "key.create")
    assert entry.details["key"] == "reader"
    assert entry.details["scopes"] == ["read"]
    assert entry.details["queues"] == ["high"]
    assert secret not in repr(entry)


async def test_key_names_are_unique_and_checked(
    keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    await made(keys, audit, clock)
    with pytest.raises(KeyNameTaken, match="an API key named 'reader' exists already"):
        await made(keys, audit, clock)
    create = CreateKey(keys, audit, clock)
    with pytest.raises(InvalidKeyRequest, match=r"^name: "):
        await create(ANONYMOUS, "-bad name", READ_HIGH)
    with pytest.raises(InvalidKeyRequest, match=r"^expires_in: must be a positive duration$"):
        await create(ANONYMOUS, "ok", READ_HIGH, timedelta(0))


async def test_revoking_an_unknown_key_says_so_and_records_nothing(
    keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    with pytest.raises(KeyNotFound, match="no API key named 'ghost'"):
        await RevokeKey(keys, audit, clock)(ANONYMOUS, "ghost")
    assert audit.entries_recorded == []


async def test_an_admin_key_covers_every_queue_and_names_stay_unambiguous(
    keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    create = CreateKey(keys, audit, clock)
    limited_admin = Grant(frozenset({Scope.ADMIN}), frozenset({"high"}))
    with pytest.raises(InvalidKeyRequest, match="an admin key covers every queue"):
        await create(ANONYMOUS, "boss", limited_admin)
    for worn in ("anonymous", "cli:root"):
        with pytest.raises(InvalidKeyRequest, match=r"^name: "):
            await create(ANONYMOUS, worn, READ_HIGH)
    assert keys.keys == {}


async def test_a_queue_limited_caller_cannot_make_a_wider_key(
    keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    create = CreateKey(keys, audit, clock)
    limited = Caller("ops-high", Grant(frozenset({Scope.SUBMIT}), frozenset({"high"})))
    with pytest.raises(Forbidden, match="the queues the new key would cover"):
        await create(limited, "wider", Grant(frozenset({Scope.READ})))
    with pytest.raises(Forbidden):
        await create(limited, "other", Grant(frozenset({Scope.READ}), frozenset({"low"})))
    await create(limited, "same", READ_HIGH)
    assert list(keys.keys) == ["same"]


async def test_revoking_twice_records_the_revocation_once(
    keys: InMemoryApiKeys, audit: InMemoryAuditTrail, clock: FixedClock
) -> None:
    await made(keys, audit, clock)
    revoke = RevokeKey(keys, audit, clock)
    first = await revoke(ANONYMOUS, "reader")
    clock.advance(timedelta(minutes=1))
    again = await revoke(ANONYMOUS, "reader")
    assert again.revoked_at == first.revoked_at
    assert [entry.action for entry in audit.entries_recorded] == ["key.create", "key.revoke"]


def test_secrets_stay_out_of_reprs() -> None:
    secret = new_key()
    assert secret.secret not in repr(secret)
