from taskforge_app.ports import Delivery, WorkConsumer
from taskforge_app.runtime.pause_gate import PauseGate
from taskforge_app.runtime.queue_choice import WeightedQueueChoice


class QueueReader:
    """Reads a worker's next messages from the queues it serves, by weight.

    With several queues it reads them one by one, the queue whose turn it is first,
    without waiting, until it has `count`; only when none has anything does it wait,
    on every queue at once, so an idle worker wakes for whichever queue gets a job.
    Paused queues are not read at all; with every queue paused it waits for a resume.
    """

    def __init__(
        self, consumer: WorkConsumer, choice: WeightedQueueChoice, gate: PauseGate | None = None
    ) -> None:
        self._consumer = consumer
        self._choice = choice
        self._gate = PauseGate() if gate is None else gate

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        paused = self._gate.paused
        order = [queue for queue in self._choice.next_turn() if queue not in paused]
        if not order:
            await self._gate.until_changed(paused, block_ms / 1000)
            return []
        found: list[Delivery] = []
        if len(order) > 1:
            for queue in self._choice.worth_reading(order):
                more = await self._consumer.receive(consumer, [queue], count - len(found), None)
                self._choice.note(queue, bool(more))
                found += more
                if len(found) >= count:
                    break
        return found or await self._consumer.receive(consumer, order, count, block_ms)
