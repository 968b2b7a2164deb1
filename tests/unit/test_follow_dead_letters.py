from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.follow_dead_letters import FollowDeadLetters
from taskforge_app.ports import ChannelUnavailable, DeadLetter
from tests.unit.fakes import START, FakeChannel

BLOCK_MS = 10


def letters(count: int) -> list[DeadLetter]:
    return [
        DeadLetter(uuid4(), "resize", n + 1, f"error {n}", START + timedelta(seconds=n))
        for n in range(count)
    ]


async def test_each_letter_is_shown_in_order_then_acknowledged(queue: FakeChannel) -> None:
    published = letters(3)
    await queue.publish_dead(published)
    shown: list[tuple[str, DeadLetter]] = []

    def show(message_id: str, letter: DeadLetter) -> None:
        assert message_id not in queue.dead_acked
        shown.append((message_id, letter))

    count = await FollowDeadLetters(queue)("cli-1", show, block_ms=BLOCK_MS, limit=3)

    assert count == 3
    assert [letter for _, letter in shown] == published
    assert queue.dead_acked == [message_id for message_id, _ in shown]
    assert queue.dead_unacked == {}


async def test_stops_after_limit_and_leaves_the_rest_unread(queue: FakeChannel) -> None:
    published = letters(5)
    await queue.publish_dead(published)
    shown: list[DeadLetter] = []

    count = await FollowDeadLetters(queue)(
        "cli-1", lambda _, letter: shown.append(letter), block_ms=BLOCK_MS, limit=2
    )

    assert count == 2
    assert shown == published[:2]
    assert queue.dead_unacked == {}
    later = await queue.receive_dead("cli-2", 10, BLOCK_MS)
    assert [letter for _, letter in later] == published[2:]


async def test_stops_once_asked_even_while_no_letter_arrives(queue: FakeChannel) -> None:
    asked = 0

    def stopping() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    count = await FollowDeadLetters(queue)(
        "cli-1", lambda *_: None, block_ms=BLOCK_MS, stopping=stopping
    )

    assert (count, asked) == (0, 4)


async def test_a_letter_whose_showing_fails_stays_unacknowledged(queue: FakeChannel) -> None:
    await queue.publish_dead(letters(1))

    def show(message_id: str, letter: DeadLetter) -> None:
        raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        await FollowDeadLetters(queue)("cli-1", show, block_ms=BLOCK_MS, limit=1)

    assert queue.dead_acked == []
    assert list(queue.dead_unacked) == ["1-0"]


async def test_an_unreachable_queue_is_reported(queue: FakeChannel) -> None:
    queue.unavailable = True

    with pytest.raises(ChannelUnavailable):
        await FollowDeadLetters(queue)("cli-1", lambda *_: None, block_ms=BLOCK_MS, limit=1)
