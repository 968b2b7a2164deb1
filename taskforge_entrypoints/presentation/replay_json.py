"""What a bulk replay of dead jobs did, as POST /v1/dead-letters/replay and
`taskforge dlq replay --json` both answer it."""

from uuid import UUID

import msgspec

from taskforge_app.replay_dead_jobs import BulkReplay


class ReplayOut(msgspec.Struct, kw_only=True):
    dry_run: bool
    matched: int
    replayed: int
    job_ids: list[UUID]

    @classmethod
    def of(cls, result: BulkReplay, *, dry_run: bool) -> "ReplayOut":
        return cls(
            dry_run=dry_run,
            matched=result.matched,
            replayed=result.replayed,
            job_ids=result.job_ids,
        )
