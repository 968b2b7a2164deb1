"""API keys and audit entries as JSON: what /v1/keys and /v1/audit answer and the CLI's
--json prints. A key is shown by its name and public key id, never its secret."""

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from taskforge_app.key_secrets import PREFIX
from taskforge_app.ports.api_keys import StoredKey
from taskforge_app.ports.audit_trail import AuditEntry


class KeyOut(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    key_id: str
    """The key's public part, `tfk_<key id>`: what log lines name it by."""
    scopes: list[str]
    queues: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: StoredKey) -> "KeyOut":
        return cls(
            name=key.name,
            key_id=f"{PREFIX}{key.key_id}",
            scopes=sorted(key.grant.scopes),
            queues=None if key.grant.queues is None else sorted(key.grant.queues),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
        )


class KeysOut(msgspec.Struct, frozen=True, kw_only=True):
    keys: list[KeyOut]


class CreatedKeyOut(msgspec.Struct, frozen=True, kw_only=True):
    key: KeyOut
    token: str
    """The whole key, shown this once: Taskforge keeps only its hash."""


class AuditEntryOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: datetime
    actor: str
    action: str
    job_ids: list[UUID]
    details: dict[str, Any]
    request_id: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        return cls(
            id=entry.id or 0,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            job_ids=list(entry.job_ids),
            details=entry.details,
            request_id=entry.request_id,
        )


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    entries: list[AuditEntryOut]
    next: str | None
