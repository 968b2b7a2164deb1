"""Setting, listing and removing limits: every change on the audit trail, with its author."""

from datetime import datetime

import pytest

from taskforge_app.callers import Caller
from taskforge_app.manage_limits import LimitNotFound, ListLimits, RemoveLimit, SetLimit
from taskforge_app.ports.job_type_limits import StoredLimit
from taskforge_domain.access import Grant
from taskforge_domain.job_type_limit import InvalidLimit, JobTypeLimit, Rate, RatePeriod
from tests.unit.fakes import START, FixedClock, InMemoryAuditTrail

ALICE = Caller("alice", Grant.everything(), request_id="req-1")


class InMemoryLimits:
    def __init__(self) -> None:
        self.limits: dict[str, StoredLimit] = {}

    async def all_limits(self) -> list[StoredLimit]:
        return [self.limits[job_type] for job_type in sorted(self.limits)]

    async def put(self, limit: JobTypeLimit, now: datetime, actor: str) -> StoredLimit:
        self.limits[limit.job_type] = StoredLimit(limit, now, actor)
        return self.limits[limit.job_type]

    async def remove(self, job_type: str) -> StoredLimit | None:
        return self.limits.pop(job_type, None)


@pytest.fixture
def limits() -> InMemoryLimits:
    return InMemoryLimits()


@pytest.fixture
def audit() -> InMemoryAuditTrail:
    return InMemoryAuditTrail()


async def test_setting_a_limit_stores_it_and_records_who_set_it(
    limits: InMemoryLimits, audit: InMemoryAuditTrail
) -> None:
    limit = JobTypeLimit("email", 4, Rate(100, RatePeriod.MINUTE))

    stored = await SetLimit(limits, audit, FixedClock())(ALICE, limit)

    assert stored == StoredLimit(limit, START, "alice")
    assert await ListLimits(limits)() == [stored]
    [entry] = audit.entries_recorded
    assert (entry.actor, entry.action, entry.request_id, entry.at) == (
        "alice",
        "limit.set",
        "req-1",
        START,
    )
    assert entry.details == {
        "job_type": "email",
        "concurrency": 4,
        "rate": {"starts": 100, "per": "minute"},
    }


async def test_a_job_type_out_of_its_pattern_is_refused_and_nothing_recorded(
    limits: InMemoryLimits, audit: InMemoryAuditTrail
) -> None:
    with pytest.raises(InvalidLimit, match="job_type"):
        await SetLimit(limits, audit, FixedClock())(ALICE, JobTypeLimit("bad type", 1, None))
    assert limits.limits == {}
    assert audit.entries_recorded == []


async def test_removing_a_limit_records_what_it_was(
    limits: InMemoryLimits, audit: InMemoryAuditTrail
) -> None:
    await limits.put(JobTypeLimit("render", 2, None), START, "bob")

    removed = await RemoveLimit(limits, audit, FixedClock())(ALICE, "render")

    assert removed.limit == JobTypeLimit("render", 2, None)
    [entry] = audit.entries_recorded
    assert (entry.action, entry.details["concurrency"]) == ("limit.delete", 2)


async def test_removing_a_limit_that_is_not_there_is_refused_unrecorded(
    limits: InMemoryLimits, audit: InMemoryAuditTrail
) -> None:
    with pytest.raises(LimitNotFound, match="'render' has no limit"):
        await RemoveLimit(limits, audit, FixedClock())(ALICE, "render")
    assert audit.entries_recorded == []
