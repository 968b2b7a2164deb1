"""Handlers' progress, written on the jobs they belong to, a batch per statement."""

from collections.abc import Sequence
from typing import Any

from taskforge_adapters.postgres.job_change_notices import NOTIFIED, notify_changed
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.progress_store import ProgressReport, ProgressStore
from taskforge_domain.job_status import JobStatus

# Rows locked in id order first, like every multi-row writer that waits
# (pg_job_repository's module docstring); only the attempt that reported is written.
_WRITE_PROGRESS = f"""
WITH locked AS MATERIALIZED (
    SELECT id FROM jobs WHERE id = ANY(ARRAY(SELECT unnest($1::uuid[])))
    ORDER BY id FOR NO KEY UPDATE), reported AS (
    UPDATE jobs AS j
    SET progress = r.progress, progress_message = r.message, revision = j.revision + 1
    FROM unnest($1::uuid[], $2::int[], $3::float8[], $4::text[])
         AS r(id, attempt, progress, message)
    WHERE j.id = r.id AND (SELECT count(*) FROM locked) > 0
      AND j.status = '{JobStatus.RUNNING.value}' AND j.attempt = r.attempt
    RETURNING j.id, j.revision, j.status
), {notify_changed("reported")}
SELECT count(*) FROM reported WHERE {NOTIFIED}
"""


class PgJobProgress(ProgressStore):
    """Progress on the jobs table; each write tells the change feed's listeners."""

    def __init__(self, pool: Any) -> None:
        self._db = ConflictRetry(pool)

    async def write_progress(self, reports: Sequence[ProgressReport]) -> None:
        await self._db.execute(
            _WRITE_PROGRESS,
            [report.job_id for report in reports],
            [report.attempt for report in reports],
            [report.progress.fraction for report in reports],
            [report.progress.message or None for report in reports],
        )
