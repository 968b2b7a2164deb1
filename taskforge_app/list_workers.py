from taskforge_app.ports import WorkerPresence, WorkerSeen
from taskforge_app.worker_liveness import WorkerLiveness


class ListWorkers:
    """The live workers: those heard from within the liveness. One silent for longer is
    gone, whether or not a scheduler has handed its work on yet."""

    def __init__(self, presence: WorkerPresence, liveness: WorkerLiveness) -> None:
        self._presence = presence
        self._liveness = liveness.limit

    async def __call__(self) -> list[WorkerSeen]:
        return await self._presence.live(self._liveness)
