from collections.abc import Callable

from taskforge_app.ports import DeadLetter, DeadLetterFollower

_BATCH = 100


class FollowDeadLetters:
    """Hand each new dead letter to `show` as it arrives, through the dead-letter consumer
    group, and acknowledge it once shown: every letter is shown by one follower of the group.

    Stops after `limit` letters, or once `stopping()` is true; a read waits at most
    block_ms, which bounds how long stopping takes. Returns how many letters were shown.
    """

    def __init__(self, dead_letters: DeadLetterFollower) -> None:
        self._dead_letters = dead_letters

    async def __call__(
        self,
        consumer: str,
        show: Callable[[str, DeadLetter], None],
        *,
        block_ms: int,
        limit: int | None = None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> int:
        shown = 0
        while (limit is None or shown < limit) and not stopping():
            wanted = _BATCH if limit is None else min(_BATCH, limit - shown)
            for message_id, letter in await self._dead_letters.receive_dead(
                consumer, wanted, block_ms
            ):
                show(message_id, letter)
                await self._dead_letters.ack_dead([message_id])
                shown += 1
        return shown
