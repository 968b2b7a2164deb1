from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from taskforge_app.ports import AttemptLedger
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class Finished:
    written: list[Job]
    """The outcomes the store recorded, exactly as it recorded them."""
    fenced: list[Job]
    """The outcomes refused: their attempt was no longer the running one."""


async def finish_attempts(
    ledger: AttemptLedger,
    outcomes: Sequence[Job],
    now: datetime,
    backoff: FullJitterBackoff,
    *,
    lease_expired_before: datetime | None = None,
) -> Finished:
    """Write the outcomes the domain decided. One refused only because an operator asked
    to cancel the attempt after its outcome was decided is decided again by the domain
    against the stored job and written once more; that costs a read and a write, and
    only when it happens."""
    written_ids = await ledger.record_outcomes(outcomes, lease_expired_before=lease_expired_before)
    written = [outcome for outcome in outcomes if outcome.id in written_ids]
    refused = [outcome for outcome in outcomes if outcome.id not in written_ids]
    if refused:
        stored = {job.id: job for job in await ledger.running([job.id for job in refused])}
        again = [
            outcome.decided_again(stored[outcome.id], now, backoff)
            for outcome in refused
            if _cancel_came_meanwhile(outcome, stored.get(outcome.id))
        ]
        if again:
            rewritten = await ledger.record_outcomes(
                again, lease_expired_before=lease_expired_before
            )
            written += [outcome for outcome in again if outcome.id in rewritten]
    done = {job.id for job in written}
    return Finished(written, [outcome for outcome in outcomes if outcome.id not in done])


def _cancel_came_meanwhile(outcome: Job, stored: Job | None) -> bool:
    return (
        stored is not None
        and stored.attempt == outcome.attempt
        and (stored.cancel_requested_at is None) != (outcome.cancel_requested_at is None)
    )
