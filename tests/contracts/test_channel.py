"""The delivery channel's roles: WorkPublisher, WorkConsumer, MessagesInTransit,
DeadLetterPublisher, DeadLetterFollower and its Probe."""

import asyncio

import pytest

from taskforge_app.ports import DeadLetter
from tests.contracts.builders import NOW, new_job
from tests.contracts.conftest import Channel, ChannelUnderTest, in_publishing_order

pytestmark = pytest.mark.contract

BLOCK_MS = 50


async def test_published_jobs_are_received_in_order_per_queue(channel: Channel) -> None:
    jobs = [new_job() for _ in range(4)]

    await channel.publish(jobs)
    received = await channel.receive("consumer-1", ["normal"], 10, BLOCK_MS)

    assert in_publishing_order(channel, [d.job_id for d in received]) == in_publishing_order(
        channel, [job.id for job in jobs]
    )
    assert len({d.message_id for d in received}) == len(jobs)


async def test_receive_reads_only_the_queues_named_in_their_order(channel: Channel) -> None:
    high, normal, low = new_job(queue="high"), new_job(), new_job(queue="low")
    await channel.publish([normal, low, high])

    received = await channel.receive("consumer-1", ["high", "normal"], 10, None)

    assert in_publishing_order(channel, [d.job_id for d in received]) == in_publishing_order(
        channel, [high.id, normal.id]
    )
    assert [d.job_id for d in await channel.receive("consumer-1", ["low"], 10, None)] == [low.id]


async def test_receive_returns_at_most_count_and_no_message_twice(channel: Channel) -> None:
    jobs = [new_job() for _ in range(5)]
    await channel.publish(jobs)

    first = await channel.receive("consumer-1", ["normal"], 3, None)
    second = await channel.receive("consumer-2", ["normal"], 3, None)
    third = await channel.receive("consumer-1", ["normal"], 3, None)

    assert (len(first), len(second), third) == (3, 2, [])
    assert in_publishing_order(
        channel, [d.job_id for d in [*first, *second]]
    ) == in_publishing_order(channel, [job.id for job in jobs])


async def test_a_malformed_message_is_delivered_without_a_job_id(
    channel_under_test: ChannelUnderTest, channel: Channel
) -> None:
    await channel_under_test.put_malformed("normal")

    [delivery] = await channel.receive("consumer-1", ["normal"], 10, None)

    assert delivery.job_id is None
    await channel.ack([delivery.message_id])


async def test_an_acked_message_is_neither_in_transit_nor_taken_over(channel: Channel) -> None:
    done, open_ = new_job(), new_job(queue="high")
    await channel.publish([done, open_])
    received = await channel.receive("consumer-1", ["normal", "high"], 10, None)
    by_job = {d.job_id: d.message_id for d in received}

    await channel.ack([by_job[done.id]])
    await asyncio.sleep(0.03)

    assert await channel.job_ids_in_transit() == {open_.id}
    reclaimed = await channel.reclaim_idle("consumer-2", 10, 10)
    assert [d.job_id for d in reclaimed] == [open_.id]


async def test_jobs_in_transit_are_those_with_a_message_received_or_not(channel: Channel) -> None:
    waiting, delivered = new_job(queue="low"), new_job()
    await channel.publish([waiting, delivered])
    await channel.receive("consumer-1", ["normal"], 10, None)

    assert await channel.job_ids_in_transit() == {waiting.id, delivered.id}


async def test_messages_left_unacked_for_min_idle_ms_are_taken_over(channel: Channel) -> None:
    jobs = [new_job(), new_job(queue="high")]
    await channel.publish(jobs)
    received = await channel.receive("crashed", ["normal", "high"], 10, None)

    await asyncio.sleep(0.06)
    taken = await channel.reclaim_idle("consumer-2", 50, 10)

    assert {d.job_id for d in taken} == {job.id for job in jobs}
    assert {d.message_id for d in taken} == {d.message_id for d in received}
    await channel.ack([d.message_id for d in taken])
    assert await channel.job_ids_in_transit() == set()


async def test_a_message_received_just_now_is_not_taken_over(channel: Channel) -> None:
    await channel.publish([new_job()])
    await channel.receive("consumer-1", ["normal"], 10, None)

    assert await channel.reclaim_idle("consumer-2", 60_000, 10) == []


async def test_reclaim_idle_takes_at_most_count(channel: Channel) -> None:
    await channel.publish([new_job() for _ in range(3)])
    await channel.receive("crashed", ["normal"], 10, None)
    await asyncio.sleep(0.03)

    assert len(await channel.reclaim_idle("consumer-2", 10, 2)) == 2


async def test_prepare_is_idempotent(channel: Channel) -> None:
    await channel.prepare()
    await channel.prepare()
    job = new_job()
    await channel.publish([job])

    assert [d.job_id for d in await channel.receive("c", ["normal"], 10, None)] == [job.id]


async def test_dead_letters_reach_one_follower_each_in_order_until_acked(channel: Channel) -> None:
    letters = [DeadLetter.of(new_job(at=NOW)) for _ in range(3)]

    await channel.publish_dead(letters)
    first = await channel.receive_dead("follower-1", 2, BLOCK_MS)
    second = await channel.receive_dead("follower-2", 2, BLOCK_MS)

    assert [letter for _, letter in [*first, *second]] == letters
    await channel.ack_dead([message_id for message_id, _ in [*first, *second]])
    assert await channel.receive_dead("follower-1", 10, BLOCK_MS) == []


async def test_a_webhook_dead_letter_keeps_its_delivery_id(channel: Channel) -> None:
    job = new_job(at=NOW)
    letters = [DeadLetter.of(job), DeadLetter(job.id, job.job_type, 8, "webhook", NOW, 42)]

    await channel.publish_dead(letters)
    received = await channel.receive_dead("follower-1", 10, BLOCK_MS)

    assert [letter.webhook_delivery for _, letter in received] == [None, 42]


async def test_the_channel_answers_a_ping(channel: Channel) -> None:
    await channel.ping()


async def test_receive_from_several_queues_returns_at_most_count_in_all(channel: Channel) -> None:
    await channel.publish([new_job(queue="high"), new_job(queue="high"), new_job(), new_job()])

    received = await channel.receive("consumer-1", ["high", "normal"], 2, None)

    assert len(received) <= 2


async def test_unacknowledged_answers_a_consumers_own_pending_messages_only(
    channel: Channel,
) -> None:
    mine, theirs, high = new_job(), new_job(), new_job(queue="high")
    await channel.publish([mine])
    await channel.receive("consumer-1", ["normal"], 10, None)
    await channel.publish([theirs, high])
    await channel.receive("consumer-2", ["normal"], 10, None)
    [high_delivery] = await channel.receive("consumer-1", ["high"], 10, None)

    left = await channel.unacknowledged("consumer-1", 10)

    assert sorted(str(d.job_id) for d in left) == sorted([str(mine.id), str(high.id)])
    # Reading them again delivers nothing new and acknowledges nothing.
    assert len(await channel.unacknowledged("consumer-1", 10)) == 2
    await channel.ack([high_delivery.message_id])
    assert [d.job_id for d in await channel.unacknowledged("consumer-1", 10)] == [mine.id]
    assert await channel.unacknowledged("consumer-never-seen", 10) == []


async def test_a_consumer_is_removed_only_once_it_holds_no_unacknowledged_message(
    channel: Channel,
) -> None:
    job = new_job()
    await channel.publish([job])
    [delivery] = await channel.receive("consumer-1", ["normal"], 10, None)

    assert await channel.remove_consumer("consumer-1") is False
    await channel.ack([delivery.message_id])
    assert await channel.remove_consumer("consumer-1") is True
    # Streams of queues never written to hold nothing of it either.
    assert await channel.remove_consumer("consumer-never-seen") is True
