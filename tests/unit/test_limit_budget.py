"""The claim's decision under limits per job type and per queue: a job starts only when it
fits every limit over it; the others wait for what they lack."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from taskforge_domain.job_type_limit import (
    HOLD_BACK,
    HoldReason,
    JobTypeLimit,
    Rate,
    RatePeriod,
    TokenBucket,
)
from taskforge_domain.limit_budget import Budget, Claimable, LimitScope, decide
from taskforge_domain.queue_limit import QueueLimit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def jobs(job_type: str, queue: str, count: int) -> list[Claimable]:
    return [Claimable(uuid4(), job_type, queue) for _ in range(count)]


def test_a_job_under_no_limit_starts() -> None:
    claimable = jobs("ping", "normal", 3)
    decision = decide(claimable, {}, {}, NOW)
    assert decision.start == [job.job_id for job in claimable]
    assert decision.hold == []


def test_a_full_queue_holds_back_a_job_its_type_would_let_start() -> None:
    renders = jobs("render", "low", 2)
    by_type = {"render": Budget.of(JobTypeLimit("render", 10, None), 0, None)}
    by_queue = {"low": Budget.of(QueueLimit("low", 1, None), 0, None)}

    decision = decide(renders, by_type, by_queue, NOW)

    assert decision.start == [renders[0].job_id]
    assert [(h.job_id, h.reason, h.until) for h in decision.hold] == [
        (renders[1].job_id, HoldReason.SLOT, NOW + HOLD_BACK)
    ]
    # Both limits counted the start: the type's budget has one slot fewer too.
    assert by_type["render"].started == 1


def test_a_full_type_leaves_the_queues_slot_to_the_next_job_in_line() -> None:
    render, ping = jobs("render", "low", 1), jobs("ping", "low", 1)
    by_type = {"render": Budget.of(JobTypeLimit("render", 1, None), 1, None)}
    by_queue = {"low": Budget.of(QueueLimit("low", 1, None), 0, None)}

    decision = decide(render + ping, by_type, by_queue, NOW)

    assert decision.start == [ping[0].job_id]
    assert [h.job_id for h in decision.hold] == [render[0].job_id]


def test_a_spent_queue_rate_says_when_its_next_starts_are_due() -> None:
    emails = jobs("email", "low", 4)
    rate = Rate(10, RatePeriod.SECOND)
    by_queue = {"low": Budget.of(QueueLimit("low", None, rate), 0, TokenBucket(2.0, NOW))}

    decision = decide(emails, {}, by_queue, NOW)

    assert len(decision.start) == 2
    assert {h.reason for h in decision.hold} == {HoldReason.RATE}
    [wait] = decision.rate_waits
    assert (wait.scope, wait.key, wait.at) == (
        LimitScope.QUEUE,
        "low",
        NOW + timedelta(seconds=0.1),
    )
    # The one start due then, and one more to keep the releases going.
    assert wait.count == 2
    # Ten starts a second: the releases look again a tenth of a second apart.
    assert wait.every == timedelta(seconds=0.1)
    assert by_queue["low"].spent_bucket() == TokenBucket(0.0, NOW)


def test_a_full_slot_is_waited_for_before_a_spent_rate() -> None:
    [job] = jobs("email", "low", 1)
    limit = JobTypeLimit("email", 1, Rate(1, RatePeriod.MINUTE))
    by_type = {"email": Budget.of(limit, 1, TokenBucket(0.0, NOW))}

    decision = decide([job], by_type, {}, NOW)

    [hold] = decision.hold
    assert hold.reason is HoldReason.SLOT
    # The promote pass may queue it only once the rate has a start again.
    assert hold.until == NOW + timedelta(minutes=1)
    assert decision.rate_waits == []
