import asyncio

from taskforge_domain.job_status import TERMINAL_STATUSES

_TERMINAL = frozenset(status.value for status in TERMINAL_STATUSES)


class JobWaiter:
    """One waiter on one job: woken with the revision and status the store announced, or
    with None when announcements may have been lost and the job must be read again."""

    __slots__ = ("_woken", "announced", "announced_finished", "must_reread")

    def __init__(self) -> None:
        self._woken = asyncio.Event()
        self.announced = -1
        self.announced_finished = False
        self.must_reread = False

    def wake(self, revision: int | None, status: str = "") -> None:
        if revision is None:
            self.must_reread = True
        elif revision > self.announced:
            self.announced = revision
            self.announced_finished = status in _TERMINAL
        self._woken.set()

    async def woken(self, within: float) -> bool:
        """Wait up to `within` seconds for a wake-up; False when none came."""
        if not self._woken.is_set():
            try:
                async with asyncio.timeout(within):
                    await self._woken.wait()
            except TimeoutError:
                return False
        self._woken.clear()
        return True

    def news_after(self, revision: int) -> bool:
        """Whether a wake-up since the last read says the job moved past `revision`."""
        news = self.must_reread or self.announced > revision
        self.must_reread = False
        return news

    def finished_after(self, revision: int) -> bool:
        """Whether a wake-up says the job finished, or may have, since `revision`: what a
        waiter for the end reads the job again for (the others cost it no read)."""
        if self.must_reread:
            self.must_reread = False
            return True
        return self.announced > revision and self.announced_finished
