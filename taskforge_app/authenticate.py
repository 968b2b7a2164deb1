import logging

from taskforge_app.callers import Caller
from taskforge_app.key_secrets import matches, parse_token
from taskforge_app.ports.api_keys import ApiKeys
from taskforge_app.ports.clock import Clock

log = logging.getLogger(__name__)


class Unauthenticated(Exception):
    """No usable key came with the call; the message says why without echoing it."""


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


class AuthenticateSession:
    """Turn the key id a dashboard session names into its caller, looked up on every
    request like a bearer key, so a revoked or expired key ends its sessions at once."""

    def __init__(self, keys: ApiKeys, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock

    async def __call__(self, key_id: str, request_id: str | None) -> Caller:
        stored = await self._keys.by_key_id(key_id)
        if stored is None:
            raise Unauthenticated("the session's API key is not known")
        if not stored.valid_at(self._clock.now()):
            state = "revoked" if stored.revoked_at is not None else "expired"
            log.warning(
                "ended a session of the %s API key %r (request %s)", state, stored.name, request_id
            )
            raise Unauthenticated(f"the session's API key is {state}")
        return Caller(stored.name, stored.grant, request_id)
