from collections.abc import Sequence
from datetime import datetime
from typing import Any

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.outcome_history import OutcomeHistory, SavedOutcomes

_LOAD = """
SELECT bucket, queue, completed, failed, dead FROM outcome_counts
WHERE bucket >= $1 ORDER BY bucket, queue
"""

# Sorted by key, so two processes saving at once lock the rows in the same order.
_SAVE = """
WITH saved AS (
    INSERT INTO outcome_counts AS c (bucket, queue, completed, failed, dead)
    SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::bigint[],
                         $5::bigint[])
    ORDER BY 1, 2
    ON CONFLICT (bucket, queue) DO UPDATE SET
        completed = GREATEST(c.completed, excluded.completed),
        failed = GREATEST(c.failed, excluded.failed),
        dead = GREATEST(c.dead, excluded.dead)
)
DELETE FROM outcome_counts WHERE bucket < $6
"""


class PgOutcomeHistory(OutcomeHistory):
    """Table `outcome_counts`: one row per bucket and queue, fifteen minutes of them."""

    def __init__(self, pool: Any) -> None:
        self._db = ConflictRetry(pool)

    async def load(self, since: datetime) -> list[SavedOutcomes]:
        return [
            SavedOutcomes(row["bucket"], row["queue"], row["completed"], row["failed"], row["dead"])
            for row in await self._db.fetch(_LOAD, since)
        ]

    async def save(self, counts: Sequence[SavedOutcomes], forget_before: datetime) -> None:
        await self._db.execute(
            _SAVE,
            [count.start for count in counts],
            [count.queue for count in counts],
            [count.completed for count in counts],
            [count.failed for count in counts],
            [count.dead for count in counts],
            forget_before,
        )
