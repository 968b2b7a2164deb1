from collections.abc import Mapping

from taskforge_app.runtime.timer import REAL_TIME, Timer

_EMPTY_QUEUE_RECHECK = 0.05


class WeightedQueueChoice:
    """Which queue a worker reads first, by smooth weighted round robin: each read starts
    at the queue whose turn it is and tops up from the others, heaviest first, so a
    saturated queue never starves a lighter one of its share.

    A queue found empty is skipped for a moment: while another queue is busy, re-reading
    the empty ones would cost a round trip each per batch.
    """

    def __init__(self, weights: Mapping[str, int], timer: Timer = REAL_TIME) -> None:
        if not weights or any(weight < 1 for weight in weights.values()):
            raise ValueError("every queue a worker serves needs a weight of at least 1")
        self._weights = dict(weights)
        self._credit = dict.fromkeys(self._weights, 0)
        self._by_weight = sorted(self._weights, key=self._weights.__getitem__, reverse=True)
        self._found_empty_at: dict[str, float] = {}
        self._timer = timer

    @property
    def queues(self) -> list[str]:
        return list(self._weights)

    def next_turn(self) -> list[str]:
        """Every served queue, the one whose turn it is first."""
        total = sum(self._weights.values())
        for queue, weight in self._weights.items():
            self._credit[queue] += weight
        first = max(self._credit, key=self._credit.__getitem__)
        self._credit[first] -= total
        return [first, *(queue for queue in self._by_weight if queue != first)]

    def worth_reading(self, order: list[str]) -> list[str]:
        now = self._timer.monotonic()
        return [
            queue
            for queue in order
            if now - self._found_empty_at.get(queue, -_EMPTY_QUEUE_RECHECK) >= _EMPTY_QUEUE_RECHECK
        ]

    def note(self, queue: str, found_any: bool) -> None:
        if found_any:
            self._found_empty_at.pop(queue, None)
        else:
            self._found_empty_at[queue] = self._timer.monotonic()
