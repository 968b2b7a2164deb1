"""The dashboard's login: a signed session that names a key by its id, looked up on every
request; and the CSRF token its forms carry."""

from datetime import UTC, datetime, timedelta

import pytest

from taskforge_app.authenticate import SESSION_LOOKUP_TTL, AuthenticateSession, Unauthenticated
from taskforge_app.callers import ANONYMOUS
from taskforge_app.key_secrets import parse_token
from taskforge_app.manage_keys import CreateKey, RevokeKey
from taskforge_app.ports.api_keys import StoredKey
from taskforge_domain.access import Grant, Scope
from taskforge_entrypoints.ui.session_cookie import Session, SessionSigner, new_csrf_cookie
from tests.unit.fakes import FixedClock, InMemoryApiKeys, InMemoryAuditTrail

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SIGNER = SessionSigner("s" * 32)
READ = Grant(frozenset({Scope.READ}))


def test_a_signed_session_reads_back_until_it_ends() -> None:
    session = Session("0123456789abcdef", NOW + timedelta(hours=8))
    value = SIGNER.session_value(session)

    assert SIGNER.session_of(value, NOW) == Session("0123456789abcdef", session.expires_at)
    assert SIGNER.session_of(value, NOW + timedelta(hours=8)) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace("0123456789abcdef", "fedcba9876543210"),
        lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"),
        lambda v: v.split(".")[0] + ".9999999999." + v.split(".")[2],
        lambda _: "",
        lambda _: "not a session",
    ],
)
def test_a_session_changed_or_made_up_is_refused(tamper: object) -> None:
    value = SIGNER.session_value(Session("0123456789abcdef", NOW + timedelta(hours=1)))
    assert SIGNER.session_of(tamper(value), NOW) is None  # type: ignore[operator]


def test_a_session_signed_with_another_secret_is_refused() -> None:
    value = SessionSigner("o" * 32).session_value(Session("0123456789abcdef", NOW + timedelta(1)))
    assert SIGNER.session_of(value, NOW) is None


def test_the_csrf_token_matches_only_its_own_cookie() -> None:
    cookie, other = new_csrf_cookie(), new_csrf_cookie()
    token = SIGNER.csrf_token(cookie, None)

    assert SIGNER.csrf_matches(cookie, token, None)
    assert not SIGNER.csrf_matches(other, token, None)
    assert not SIGNER.csrf_matches(cookie, "made-up", None)
    assert not SIGNER.csrf_matches(None, token, None)
    assert not SIGNER.csrf_matches(cookie, None, None)
    assert cookie not in token


def test_the_csrf_token_is_good_for_its_own_session_only() -> None:
    cookie = new_csrf_cookie()
    alice = Session("0123456789abcdef", NOW + timedelta(hours=8))
    token = SIGNER.csrf_token(cookie, alice)

    assert SIGNER.csrf_matches(cookie, token, alice)
    assert not SIGNER.csrf_matches(cookie, token, None), "a token of a session before it"
    assert not SIGNER.csrf_matches(cookie, token, Session("fedcba9876543210", alice.expires_at))
    relogin = Session(alice.key_id, alice.expires_at + timedelta(seconds=1))
    assert not SIGNER.csrf_matches(cookie, token, relogin), "a token of the previous login"


async def test_a_session_names_its_key_until_the_key_is_revoked(clock: FixedClock) -> None:
    keys, audit = InMemoryApiKeys(), InMemoryAuditTrail()
    created = await CreateKey(keys, audit, clock)(ANONYMOUS, "alice", READ)
    key_id = parse_token(created.token).key_id  # type: ignore[union-attr]
    authenticate = AuthenticateSession(keys, clock)

    caller = await authenticate(key_id, "req-1")
    await RevokeKey(keys, audit, clock)(ANONYMOUS, "alice")
    clock.advance(SESSION_LOOKUP_TTL)

    assert (caller.name, caller.grant, caller.request_id) == ("alice", READ, "req-1")
    with pytest.raises(Unauthenticated, match="revoked"):
        await authenticate(key_id, "req-2")


class CountingApiKeys(InMemoryApiKeys):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def by_key_id(self, key_id: str) -> StoredKey | None:
        self.lookups += 1
        return await super().by_key_id(key_id)


async def test_a_sessions_key_is_read_once_per_window_and_a_revocation_lands_within_it(
    clock: FixedClock,
) -> None:
    keys, audit = CountingApiKeys(), InMemoryAuditTrail()
    created = await CreateKey(keys, audit, clock)(ANONYMOUS, "alice", READ)
    key_id = parse_token(created.token).key_id  # type: ignore[union-attr]
    authenticate = AuthenticateSession(keys, clock)

    for _ in range(50):
        await authenticate(key_id, None)
    assert keys.lookups == 1

    await RevokeKey(keys, audit, clock)(ANONYMOUS, "alice")
    clock.advance(SESSION_LOOKUP_TTL - timedelta(milliseconds=1))
    await authenticate(key_id, None)  # still within the window the README states
    clock.advance(timedelta(milliseconds=1))
    with pytest.raises(Unauthenticated, match="revoked"):
        await authenticate(key_id, None)
    assert keys.lookups == 2


async def test_a_session_of_an_unknown_or_expired_key_is_refused(clock: FixedClock) -> None:
    keys, audit = InMemoryApiKeys(), InMemoryAuditTrail()
    created = await CreateKey(keys, audit, clock)(
        ANONYMOUS, "brief", READ, expires_in=timedelta(minutes=5)
    )
    key_id = parse_token(created.token).key_id  # type: ignore[union-attr]
    authenticate = AuthenticateSession(keys, clock)
    clock.advance(timedelta(minutes=6))

    with pytest.raises(Unauthenticated, match="expired"):
        await authenticate(key_id, None)
    with pytest.raises(Unauthenticated, match="not known"):
        await authenticate("0" * 16, None)
