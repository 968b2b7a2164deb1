import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.job_changes import JobBusy
from taskforge_app.list_jobs import ListJobs, visible_to
from taskforge_app.ports import Clock, JobQuery
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_domain.errors import InvalidTransition, JobNotFound
from taskforge_domain.job_status import JobStatus

_PAGE = 200


@dataclass(frozen=True, slots=True)
class BulkReplay:
    matched: int
    replayed: int
    job_ids: list[UUID]


def query_filter(query: JobQuery) -> dict[str, object]:
    """The filters a query sets, as the audit trail records them."""
    named: dict[str, object] = {}
    for field in dataclasses.fields(query):
        value = getattr(query, field.name)
        if field.name in ("limit", "before") or value is None:
            continue
        if isinstance(value, frozenset):
            named[field.name] = sorted(value)
        elif isinstance(value, datetime):
            named[field.name] = value.isoformat()
        else:
            named[field.name] = str(value)
    return named


class ReplayDeadJobs:
    """Replay the dead jobs a query selects, oldest first, at most `rate` per second.

    A dry run only reports what would be replayed. A job that stopped being dead
    in the meantime is skipped, not counted.
    """

    def __init__(
        self, list_jobs: ListJobs, replay: ReplayDeadJob, audit: AuditTrail, clock: Clock
    ) -> None:
        self._list_jobs = list_jobs
        self._replay = replay
        self._audit = audit
        self._clock = clock

    async def __call__(
        self,
        query: JobQuery,
        *,
        dry_run: bool,
        limit: int,
        rate: float | None = None,
        attempts: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        caller: Caller = ANONYMOUS,
    ) -> BulkReplay:
        matching = await self._matching(query, limit, caller)
        if dry_run:
            return BulkReplay(len(matching), 0, matching)
        replayed: list[UUID] = []
        try:
            for done, job_id in enumerate(matching, start=1):
                try:
                    await self._replay.replay(job_id, attempts, caller)
                    replayed.append(job_id)
                except (InvalidTransition, JobNotFound, JobBusy):
                    pass
                if progress is not None:
                    progress(done, len(matching))
                if rate and done < len(matching):
                    await asyncio.sleep(1 / rate)
        finally:
            # Also when interrupted: what was replayed up to then is on record.
            await self._audit.record(
                AuditEntry(
                    self._clock.now(),
                    caller.name,
                    "job.replay_bulk",
                    tuple(replayed),
                    {
                        "filter": query_filter(visible_to(caller, query)),
                        "matched": len(matching),
                        "replayed": len(replayed),
                        "limit": limit,
                    },
                    caller.request_id,
                )
            )
        return BulkReplay(len(matching), len(replayed), replayed)

    async def _matching(self, query: JobQuery, limit: int, caller: Caller) -> list[UUID]:
        found: list[UUID] = []
        page = dataclasses.replace(query, status=JobStatus.DEAD, limit=min(_PAGE, limit))
        while len(found) < limit:
            jobs = await self._list_jobs(page, caller)
            found += [job.id for job in jobs][: limit - len(found)]
            if len(jobs) < page.limit:
                break
            page = dataclasses.replace(page, before=(jobs[-1].created_at, jobs[-1].id))
        return found
