"""The API key store and the audit trail on a real PostgreSQL, the submit quota on a
real Redis."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from taskforge_adapters.postgres.pg_api_keys import PgApiKeys
from taskforge_adapters.postgres.pg_audit_trail import PgAuditTrail
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.redis.redis_submit_quota import RedisSubmitQuota
from taskforge_app.key_secrets import new_key
from taskforge_app.ports.api_keys import KeyNameTaken, StoredKey
from taskforge_app.ports.audit_trail import AuditEntry, AuditQuery
from taskforge_domain.access import Grant, Scope
from tests.conftest import Services

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def own_pool(own_migrated_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=4)
    yield pool
    await pool.close()


def a_key(name: str, grant: Grant) -> StoredKey:
    secret = new_key()
    return StoredKey(name, secret.key_id, secret.sha256, grant, NOW)


async def test_keys_are_stored_found_by_their_id_and_revoked_once(own_pool: asyncpg.Pool) -> None:
    keys = PgApiKeys(own_pool)
    limited = a_key("limited", Grant(frozenset({Scope.READ, Scope.SUBMIT}), frozenset({"high"})))
    everywhere = a_key("everywhere", Grant(frozenset({Scope.ADMIN})))
    await keys.add(limited)
    await keys.add(everywhere)
    assert await keys.by_key_id(limited.key_id) == limited
    assert await keys.by_key_id("0" * 16) is None
    assert [key.name for key in await keys.all_keys()] == ["everywhere", "limited"]
    with pytest.raises(KeyNameTaken):
        await keys.add(a_key("limited", Grant(frozenset({Scope.READ}))))

    first = await keys.revoke("limited", NOW + timedelta(hours=1))
    again = await keys.revoke("limited", NOW + timedelta(hours=2))
    assert first is not None
    assert again is not None
    assert first.revoked_at == again.revoked_at == NOW + timedelta(hours=1)
    assert await keys.revoke("nobody", NOW) is None


async def test_the_audit_trail_filters_pages_and_forgets(own_pool: asyncpg.Pool) -> None:
    trail = PgAuditTrail(own_pool)
    job = uuid.uuid4()
    for minute in range(5):
        await trail.record(
            AuditEntry(
                NOW + timedelta(minutes=minute),
                "ops" if minute % 2 else "cli:root",
                "job.cancel" if minute < 4 else "job.replay_bulk",
                (job,) if minute == 1 else (),
                {"minute": minute, "filter": {"job_type": "mail"}},
                f"req-{minute}",
            )
        )
    # Stored as a JSON object, so SQL can look inside it.
    async with own_pool.acquire() as conn:
        minutes = await conn.fetch("SELECT details->>'minute' AS m FROM audit_events ORDER BY id")
    assert [row["m"] for row in minutes] == ["0", "1", "2", "3", "4"]
    newest_first = await trail.entries(AuditQuery(limit=10))
    assert [entry.details["minute"] for entry in newest_first] == [4, 3, 2, 1, 0]
    assert newest_first[0].details["filter"] == {"job_type": "mail"}
    assert [
        e.details["minute"] for e in await trail.entries(AuditQuery(limit=10, actor="ops"))
    ] == [3, 1]
    by_action = await trail.entries(AuditQuery(limit=10, action="job.replay_bulk"))
    assert [e.request_id for e in by_action] == ["req-4"]
    [by_job] = await trail.entries(AuditQuery(limit=10, job_id=job))
    assert by_job.job_ids == (job,)
    window = AuditQuery(
        limit=10, after=NOW + timedelta(minutes=1), before=NOW + timedelta(minutes=3)
    )
    assert [e.details["minute"] for e in await trail.entries(window)] == [2, 1]
    page = await trail.entries(AuditQuery(limit=2))
    rest = await trail.entries(AuditQuery(limit=10, below_id=page[-1].id))
    assert [e.id for e in page + rest] == [e.id for e in newest_first]

    assert await trail.forget_before(NOW + timedelta(minutes=3), limit=2) == 2
    assert await trail.forget_before(NOW + timedelta(minutes=3), limit=2) == 1
    assert [e.details["minute"] for e in await trail.entries(AuditQuery(limit=10))] == [4, 3]


async def test_the_submit_quota_is_one_window_for_every_process(
    test_services: Services, redis_client: aioredis.Redis
) -> None:
    prefix = f"{test_services.key_prefix}:quota-{uuid.uuid4().hex[:6]}"
    one, other = RedisSubmitQuota(redis_client, prefix), RedisSubmitQuota(redis_client, prefix)
    # Start just after Redis's clock turns a second, so the whole check fits in one window.
    _, micros = await redis_client.time()
    await asyncio.sleep((1_000_000 - micros) / 1e6 + 0.002)
    assert await one.take("feeder", 3, 5) is None
    assert await other.take("feeder", 2, 5) is None
    wait = await one.take("feeder", 1, 5)
    assert wait is not None
    assert 0 < wait <= 1
    assert await other.take("someone-else", 5, 5) is None
