"""Create, list and revoke API keys; each change goes on the audit trail."""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from taskforge_app.callers import Caller
from taskforge_app.key_secrets import new_key
from taskforge_app.ports.api_keys import ApiKeys, StoredKey
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.ports.clock import Clock
from taskforge_domain.access import Forbidden, Grant, Scope

# No `:`, and not `anonymous`: the audit trail's other names (`cli:<user>`) cannot be worn.
KEY_NAME_PATTERN = r"^(?!anonymous$)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_KEY_NAME = re.compile(KEY_NAME_PATTERN)


class InvalidKeyRequest(ValueError):
    """A key cannot be made as asked; the message names the field."""


class KeyNotFound(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"no API key named {name!r}")
        self.name = name


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: StoredKey
    token: str = field(repr=False)
    """The only time the secret exists outside the caller's hands: show it once."""


def _details(key: StoredKey) -> dict[str, object]:
    queues = None if key.grant.queues is None else sorted(key.grant.queues)
    return {"key": key.name, "scopes": sorted(key.grant.scopes), "queues": queues}


class CreateKey:
    def __init__(self, keys: ApiKeys, audit: AuditTrail, clock: Clock) -> None:
        self._keys = keys
        self._audit = audit
        self._clock = clock

    async def __call__(
        self, caller: Caller, name: str, grant: Grant, expires_in: timedelta | None = None
    ) -> CreatedKey:
        if not _KEY_NAME.fullmatch(name):
            raise InvalidKeyRequest(
                "name: 1 to 64 letters, digits or _.-, starting with a letter or digit, "
                "and not `anonymous`"
            )
        if Scope.ADMIN in grant.scopes and grant.queues is not None:
            # Admin manages keys, and a key it made could cover any queue.
            raise InvalidKeyRequest("queues: an admin key covers every queue; drop one of them")
        if caller.grant.queues is not None and (
            grant.queues is None or not grant.queues <= caller.grant.queues
        ):
            raise Forbidden("the queues the new key would cover")
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidKeyRequest("expires_in: must be a positive duration")
        now = self._clock.now()
        secret = new_key()
        key = StoredKey(
            name=name,
            key_id=secret.key_id,
            secret_sha256=secret.sha256,
            grant=grant,
            created_at=now,
            expires_at=None if expires_in is None else now + expires_in,
        )
        await self._keys.add(key)
        details = _details(key) | {"expires_at": key.expires_at and key.expires_at.isoformat()}
        await self._audit.record(
            AuditEntry(now, caller.name, "key.create", (), details, caller.request_id)
        )
        return CreatedKey(key, secret.token)


class ListKeys:
    def __init__(self, keys: ApiKeys) -> None:
        self._keys = keys

    async def __call__(self) -> list[StoredKey]:
        return await self._keys.all_keys()


class RevokeKey:
    def __init__(self, keys: ApiKeys, audit: AuditTrail, clock: Clock) -> None:
        self._keys = keys
        self._audit = audit
        self._clock = clock

    async def __call__(self, caller: Caller, name: str) -> StoredKey:
        now = self._clock.now()
        revoked = await self._keys.revoke(name, now)
        if revoked is None:
            raise KeyNotFound(name)
        if revoked.revoked_at != now:
            # Revoked before: nothing changed, so nothing goes on the trail.
            return revoked
        await self._audit.record(
            AuditEntry(now, caller.name, "key.revoke", (), _details(revoked), caller.request_id)
        )
        return revoked
