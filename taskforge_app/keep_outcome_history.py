from taskforge_app.outcome_tally import OutcomeTally
from taskforge_app.ports.outcome_history import OutcomeHistory


class KeepOutcomeHistory:
    """Save what the tally heard since the last save; the first time, take in what
    earlier processes saved, so the dashboard's throughput survives a restart."""

    def __init__(self, tally: OutcomeTally, history: OutcomeHistory) -> None:
        self._tally = tally
        self._history = history
        self._restored = False

    async def __call__(self) -> int:
        """Save the unsaved counts; return how many were saved."""
        if not self._restored:
            self._tally.restore(await self._history.load(self._tally.oldest_kept()))
            self._restored = True
        unsaved = self._tally.take_unsaved()
        if not unsaved:
            return 0
        try:
            await self._history.save(unsaved, self._tally.oldest_kept())
        except BaseException:
            self._tally.unsaved_again(unsaved)
            raise
        return len(unsaved)
