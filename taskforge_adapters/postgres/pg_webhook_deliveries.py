"""Completion webhook deliveries in PostgreSQL: rows the `webhook_delivery_add` trigger
writes with each terminal status, claimed and recorded one autocommit statement each.
Their times are the database's clock, so schedulers' clocks need not agree."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports import DeadLetter
from taskforge_app.ports.webhook_deliveries import WebhookDeliveries, WebhookHistory
from taskforge_domain.webhook_delivery import DeliveryState, WebhookAttempt, WebhookDelivery

_COLUMNS = "id, job_id, job_status, url, state, attempts, next_attempt_at, created_at, finished_at"

# SKIP LOCKED: schedulers claiming at once take disjoint rows; the lease pushed into
# next_attempt_at keeps a claimed row away from the others until its attempt is recorded
# or the claimer is gone for longer than the lease.
_CLAIM_DUE = f"""
WITH due AS MATERIALIZED (
    SELECT id FROM webhook_deliveries
    WHERE state = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
UPDATE webhook_deliveries AS w
SET attempts = w.attempts + 1, next_attempt_at = now() + $2::interval
FROM due WHERE w.id = due.id
RETURNING {", ".join(f"w.{column}" for column in _COLUMNS.split(", "))}
"""

# Fenced on the attempt number: a claimer whose lease ran out and was overtaken records
# nothing over the newer attempt.
_RECORD_ATTEMPT = """
WITH delivery AS (
    UPDATE webhook_deliveries
    SET state = $3,
        next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + $4::interval
                               ELSE next_attempt_at END,
        finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
    WHERE id = $1 AND attempts = $2 AND state = 'pending'
    RETURNING id
)
INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, http_status, error)
SELECT id, $2, $5, $6, $7, $8 FROM delivery
ON CONFLICT (delivery_id, attempt) DO NOTHING
RETURNING delivery_id
"""

_FAILED_LETTERS = """
SELECT w.id, w.job_id, coalesce(j.job_type, '') AS job_type, w.attempts, w.finished_at,
       a.http_status, a.error
FROM webhook_deliveries w
LEFT JOIN jobs j ON j.id = w.job_id
LEFT JOIN webhook_attempts a ON a.delivery_id = w.id AND a.attempt = w.attempts
WHERE w.state = 'failed' AND w.dead_lettered_at IS NULL
ORDER BY w.finished_at LIMIT $1
"""

_MARK_DEAD_LETTERED = """
UPDATE webhook_deliveries SET dead_lettered_at = now()
WHERE id = ANY($1::bigint[]) AND state = 'failed'
"""

_REDELIVER_FAILED = """
WITH again AS (
    UPDATE webhook_deliveries SET redelivered_at = now()
    WHERE job_id = $1 AND state = 'failed' AND redelivered_at IS NULL
    RETURNING job_id, job_status, url
)
INSERT INTO webhook_deliveries (job_id, job_status, url)
SELECT job_id, job_status, url FROM again
RETURNING id
"""

_OF_JOB = f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE job_id = $1 ORDER BY id"

_ATTEMPTS_OF = """
SELECT delivery_id, attempt, started_at, duration_ms, http_status, error
FROM webhook_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, attempt
"""


def _delivery(row: Mapping[str, Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        job_id=row["job_id"],
        job_status=row["job_status"],
        url=row["url"],
        state=DeliveryState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


def _letter(row: Mapping[str, Any]) -> DeadLetter:
    why = row["error"] or f"HTTP {row['http_status']}"
    return DeadLetter(
        job_id=row["job_id"],
        job_type=row["job_type"],
        attempt=row["attempts"],
        last_error=f"webhook delivery {row['id']} failed after {row['attempts']} attempts: {why}",
        dead_at=row["finished_at"],
        webhook_delivery=row["id"],
    )


class PgWebhookDeliveries(WebhookDeliveries):
    """The webhook deliveries and attempts tables, one atomic statement per method."""

    def __init__(self, pool: Any) -> None:
        self._db = ConflictRetry(pool)

    async def claim_due(self, limit: int, lease: timedelta) -> list[WebhookDelivery]:
        return [_delivery(row) for row in await self._db.fetch(_CLAIM_DUE, limit, lease)]

    async def record_attempt(
        self,
        delivery: WebhookDelivery,
        attempt: WebhookAttempt,
        state: DeliveryState,
        retry_in: timedelta | None,
    ) -> bool:
        row = await self._db.fetchrow(
            _RECORD_ATTEMPT,
            delivery.id,
            attempt.attempt,
            state.value,
            retry_in or timedelta(0),
            attempt.started_at,
            attempt.duration.total_seconds() * 1000,
            attempt.http_status,
            attempt.error,
        )
        return row is not None

    async def failed_letters(self, limit: int) -> list[DeadLetter]:
        return [_letter(row) for row in await self._db.fetch(_FAILED_LETTERS, limit)]

    async def mark_dead_lettered(self, delivery_ids: Sequence[int]) -> None:
        if delivery_ids:
            await self._db.execute(_MARK_DEAD_LETTERED, list(delivery_ids))

    async def redeliver_failed(self, job_id: UUID) -> int:
        return len(await self._db.fetch(_REDELIVER_FAILED, job_id))

    async def of_job(self, job_id: UUID) -> list[WebhookHistory]:
        deliveries = [_delivery(row) for row in await self._db.fetch(_OF_JOB, job_id)]
        if not deliveries:
            return []
        attempts: dict[int, list[WebhookAttempt]] = defaultdict(list)
        for row in await self._db.fetch(_ATTEMPTS_OF, [d.id for d in deliveries]):
            attempts[row["delivery_id"]].append(
                WebhookAttempt(
                    attempt=row["attempt"],
                    started_at=row["started_at"],
                    duration=timedelta(milliseconds=row["duration_ms"]),
                    http_status=row["http_status"],
                    error=row["error"],
                )
            )
        return [WebhookHistory(d, attempts[d.id]) for d in deliveries]
