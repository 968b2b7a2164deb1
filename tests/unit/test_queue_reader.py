"""Which queue a worker reads: weights, no starvation, and empty queues skipped briefly."""

from collections import Counter
from uuid import uuid4

import pytest

from taskforge_app.runtime.queue_choice import WeightedQueueChoice
from taskforge_app.runtime.queue_reader import QueueReader
from tests.unit.fakes import FakeChannel, ManualTimer


def test_turns_follow_the_weights_smoothly() -> None:
    choice = WeightedQueueChoice({"high": 3, "normal": 2, "low": 1})

    firsts = [choice.next_turn()[0] for _ in range(6)]

    assert Counter(firsts) == {"high": 3, "normal": 2, "low": 1}
    assert firsts[:2] != ["high", "high"], "smooth: the heavy queue's turns are spread"


def test_every_turn_names_every_queue_the_rest_heaviest_first() -> None:
    choice = WeightedQueueChoice({"low": 1, "high": 6, "normal": 3})

    for _ in range(10):
        order = choice.next_turn()
        assert sorted(order) == ["high", "low", "normal"]
        rest = order[1:]
        assert rest == sorted(rest, key={"high": 6, "normal": 3, "low": 1}.__getitem__)[::-1]


@pytest.mark.parametrize("weights", [{}, {"normal": 0}, {"high": 2, "low": -1}])
def test_a_worker_needs_a_positive_weight_for_every_queue(weights: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="weight of at least 1"):
        WeightedQueueChoice(weights)


async def test_a_saturated_heavy_queue_does_not_starve_a_light_one() -> None:
    queue = FakeChannel()
    queue.deliver(*(uuid4() for _ in range(2000)), queue="high")
    low = set(uuid4() for _ in range(200))
    queue.deliver(*low, queue="low")
    reader = QueueReader(queue, WeightedQueueChoice({"high": 6, "normal": 3, "low": 1}))

    served: Counter[str] = Counter()
    for _ in range(50):
        deliveries = await reader.read("worker-1", 10, 100)
        served.update("low" if d.job_id in low else "high" for d in deliveries)
        await queue.ack([d.message_id for d in deliveries])

    assert served.total() == 500
    assert served["low"] >= 45, served
    assert served["high"] >= 400, served


async def test_an_empty_queue_is_skipped_for_a_moment_then_read_again() -> None:
    timer = ManualTimer()
    queue = FakeChannel()
    queue.deliver(*(uuid4() for _ in range(100)), queue="high")
    reader = QueueReader(queue, WeightedQueueChoice({"high": 1, "low": 1}, timer))

    await reader.read("worker-1", 5, 100)
    await reader.read("worker-1", 5, 100)
    reads_while_low_is_fresh = [read for read in queue.reads if read == ["low"]]
    await timer.advance(0.05)
    await reader.read("worker-1", 5, 100)
    await reader.read("worker-1", 5, 100)

    assert len(reads_while_low_is_fresh) == 1
    assert len([read for read in queue.reads if read == ["low"]]) == 2


async def test_with_nothing_anywhere_one_read_waits_on_every_queue() -> None:
    queue = FakeChannel()
    reader = QueueReader(queue, WeightedQueueChoice({"high": 2, "low": 1}))

    assert await reader.read("worker-1", 5, 100) == []

    assert queue.reads[-1] in (["high", "low"], ["low", "high"])
    assert len(queue.reads) == 3


async def test_a_single_queue_is_read_with_one_waiting_read() -> None:
    queue = FakeChannel()
    [delivery] = queue.deliver(uuid4())
    reader = QueueReader(queue, WeightedQueueChoice({"normal": 1}))

    assert await reader.read("worker-1", 5, 100) == [delivery]
    assert queue.reads == [["normal"]]
