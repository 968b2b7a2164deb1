import logging
from datetime import datetime, timedelta

from taskforge_app.callers import Caller
from taskforge_app.key_secrets import matches, parse_token
from taskforge_app.ports.api_keys import ApiKeys, StoredKey
from taskforge_app.ports.clock import Clock

log = logging.getLogger(__name__)


class Unauthenticated(Exception):
    """No usable key came with the call; the message says why without echoing it."""


class SessionKeyRefused(Unauthenticated):
    """A session's key is no longer good; `state` says why: unknown, revoked or expired."""

    def __init__(self, state: str) -> None:
        super().__init__(f"the session's API key is {'not known' if state == 'unknown' else state}")
        self.state = state


class Authenticate:
    """Turn an Authorization header into the caller it names. Looked up on every call,
    so a revoked key stops working at once in every API process."""

    def __init__(self, keys: ApiKeys, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock

    async def __call__(self, authorization: str | None, request_id: str | None) -> Caller:
        if not authorization:
            raise Unauthenticated("send an API key as Authorization: Bearer <key>")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be: Bearer <key>")
        presented = parse_token(token.strip())
        if presented is None:
            log.warning("refused a malformed API key (request %s)", request_id)
            raise Unauthenticated("the API key is malformed")
        stored = await self._keys.by_key_id(presented.key_id)
        known = matches(presented, None if stored is None else stored.secret_sha256)
        if stored is None or not known:
            # The key id is not secret: it names the key in the log without the secret.
            log.warning(
                "refused an unknown API key tfk_%s (request %s)", presented.key_id, request_id
            )
            raise Unauthenticated("the API key is not known")
        if not stored.valid_at(self._clock.now()):
            state = "revoked" if stored.revoked_at is not None else "expired"
            log.warning("refused the %s API key %r (request %s)", state, stored.name, request_id)
            raise Unauthenticated(f"the API key is {state}")
        return Caller(stored.name, stored.grant, request_id)


# How long a dashboard session's key stays looked up in this process: a page's requests
# (the page, its live parts, a job's long-polls) then cost one key read per key per
# window, whatever the number of open browsers; a revocation ends its sessions within it.
SESSION_LOOKUP_TTL = timedelta(seconds=2)


class AuthenticateSession:
    """Turn the key id a dashboard session names into its caller. The key is read again at
    most every SESSION_LOOKUP_TTL per key id, so a revoked key ends its sessions within
    that bound, and an expiry at once (it is checked against the clock on every request)."""

    def __init__(self, keys: ApiKeys, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock
        # Key ids come only from sessions this API signed, so there are no more entries
        # than keys that logged in.
        self._looked_up: dict[str, tuple[datetime, StoredKey | None]] = {}

    async def _stored(self, key_id: str, now: datetime) -> StoredKey | None:
        cached = self._looked_up.get(key_id)
        if cached is not None and now - cached[0] < SESSION_LOOKUP_TTL:
            return cached[1]
        stored = await self._keys.by_key_id(key_id)
        self._looked_up[key_id] = (now, stored)
        return stored

    async def __call__(self, key_id: str, request_id: str | None) -> Caller:
        now = self._clock.now()
        stored = await self._stored(key_id, now)
        if stored is None:
            raise SessionKeyRefused("unknown")
        if not stored.valid_at(now):
            state = "revoked" if stored.revoked_at is not None else "expired"
            log.warning(
                "ended a session of the %s API key %r (request %s)", state, stored.name, request_id
            )
            raise SessionKeyRefused(state)
        return Caller(stored.name, stored.grant, request_id)
