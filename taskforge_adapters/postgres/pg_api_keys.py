from datetime import datetime
from typing import Any

import asyncpg

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.api_keys import ApiKeys, KeyNameTaken, StoredKey
from taskforge_domain.access import Grant, Scope

_COLUMNS = "name, key_id, secret_sha256, scopes, queues, created_at, expires_at, revoked_at"

_ADD = f"INSERT INTO api_keys ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
_BY_KEY_ID = f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = $1"
_ALL = f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, name"
# A key revoked earlier keeps its first revocation time.
_REVOKE = f"""
UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE name = $1 RETURNING {_COLUMNS}
"""


def _key(row: Any) -> StoredKey:
    queues = row["queues"]
    return StoredKey(
        name=row["name"],
        key_id=row["key_id"],
        secret_sha256=bytes(row["secret_sha256"]),
        grant=Grant(
            frozenset(Scope(scope) for scope in row["scopes"]),
            None if queues is None else frozenset(queues),
        ),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


class PgApiKeys(ApiKeys):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def add(self, key: StoredKey) -> None:
        queues = None if key.grant.queues is None else sorted(key.grant.queues)
        try:
            await self._db.execute(
                _ADD,
                key.name,
                key.key_id,
                key.secret_sha256,
                sorted(key.grant.scopes),
                queues,
                key.created_at,
                key.expires_at,
                key.revoked_at,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "api_keys_pkey":
                raise KeyNameTaken(key.name) from None
            raise

    async def by_key_id(self, key_id: str) -> StoredKey | None:
        row = await self._db.fetchrow(_BY_KEY_ID, key_id)
        return None if row is None else _key(row)

    async def all_keys(self) -> list[StoredKey]:
        return [_key(row) for row in await self._db.fetch(_ALL)]

    async def revoke(self, name: str, at: datetime) -> StoredKey | None:
        row = await self._db.fetchrow(_REVOKE, name, at)
        return None if row is None else _key(row)
