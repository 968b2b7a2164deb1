from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from taskforge_domain.access import Grant


@dataclass(frozen=True, slots=True)
class StoredKey:
    """An API key as the store keeps it: never the secret, only its SHA-256."""

    name: str
    key_id: str
    secret_sha256: bytes
    grant: Grant
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


class KeyNameTaken(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"an API key named {name!r} exists already")
        self.name = name


class ApiKeys(Protocol):
    async def add(self, key: StoredKey) -> None:
        """Store a new key; KeyNameTaken when its name is in use (revoked keys too)."""
        ...

    async def by_key_id(self, key_id: str) -> StoredKey | None: ...

    async def all_keys(self) -> list[StoredKey]:
        """Every key, revoked and expired ones included, oldest first."""
        ...

    async def revoke(self, name: str, at: datetime) -> StoredKey | None:
        """Revoke the named key (a revoked key stays revoked); None if there is none."""
        ...
