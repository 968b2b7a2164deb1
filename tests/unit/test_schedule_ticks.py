"""When ticks fall (every, cron, across daylight-saving changes) and which due ticks fire
(catch_up, overlap)."""

from datetime import UTC, datetime, timedelta

import pytest

from taskforge_adapters.cron.croniter_calendar import CroniterCalendar
from taskforge_domain.schedule import (
    CatchUp,
    InvalidSchedule,
    Overlap,
    ScheduleSpec,
    format_every,
    parse_every,
    tick_key,
)
from taskforge_domain.schedule_ticks import EveryTicks, FiringRules, plan_firing, upcoming

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
CALENDAR = CroniterCalendar()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def rules(catch_up: CatchUp, overlap: Overlap = Overlap.ALLOW, limit: int = 1000) -> FiringRules:
    return FiringRules(catch_up, overlap, grace=timedelta(seconds=5), limit=limit)


def test_every_ticks_count_from_the_epoch_so_every_scheduler_agrees() -> None:
    ticks = EveryTicks(timedelta(hours=1))
    assert ticks.after(utc("2026-12-01T12:34:56+00:00")) == utc("2026-12-01T13:00:00+00:00")
    assert ticks.after(utc("2026-12-01T13:00:00+00:00")) == utc("2026-12-01T14:00:00+00:00")
    assert ticks.at_or_before(utc("2026-12-01T13:00:00+00:00")) == utc("2026-12-01T13:00:00+00:00")


def test_every_is_whole_seconds_of_at_least_one() -> None:
    assert parse_every("1h30m") == timedelta(minutes=90)
    assert parse_every("1s") == SECOND
    assert format_every(timedelta(seconds=5430)) == "1h30m30s"
    for bad in ("0s", "500ms", "1.5s", "", "1m1h", "s"):
        with pytest.raises(InvalidSchedule):
            parse_every(bad)


def test_a_spec_has_one_cadence_and_a_cron_of_five_or_six_numeric_fields() -> None:
    ScheduleSpec("ping", {}, "normal", cron="*/5 * * * *")
    ScheduleSpec("ping", {}, "normal", cron="*/10 0-30/5 9-17 * 1,3 1-5")
    for cron in ("* * * *", "60 * * * *", "* 24 * * *", "0 0 0 * *", "@daily", "* * * * *\n"):
        with pytest.raises(InvalidSchedule):
            ScheduleSpec("ping", {}, "normal", cron=cron)
    with pytest.raises(InvalidSchedule):
        ScheduleSpec("ping", {}, "normal", cron="* * * * *", every=SECOND)
    with pytest.raises(InvalidSchedule):
        ScheduleSpec("ping", {}, "normal")


def test_six_fields_put_seconds_first() -> None:
    ticks = CALENDAR.ticks("*/15 * * * * *", "UTC")
    assert upcoming(ticks, ticks.after(T0), 3) == [
        T0 + 15 * SECOND,
        T0 + 30 * SECOND,
        T0 + 45 * SECOND,
    ]


def test_cron_ticks_fall_in_their_time_zone() -> None:
    ticks = CALENDAR.ticks("0 9 * * *", "America/New_York")
    assert ticks.after(T0) == utc("2026-12-01T14:00:00+00:00")


def test_a_tick_in_the_spring_gap_fires_right_after_it() -> None:
    # Berlin skips 02:00-03:00 on 29 March 2026.
    ticks = CALENDAR.ticks("30 2 * * *", "Europe/Berlin")
    assert ticks.after(utc("2026-03-28T12:00:00+00:00")) == utc("2026-03-29T03:00:00+02:00")
    assert ticks.after(utc("2026-03-29T03:00:00+02:00")) == utc("2026-03-30T02:30:00+02:00")


def test_a_fixed_hour_fires_once_in_the_repeated_autumn_hour() -> None:
    # Berlin runs 02:00-03:00 twice on 25 October 2026.
    ticks = CALENDAR.ticks("30 2 * * *", "Europe/Berlin")
    first = ticks.after(utc("2026-10-24T12:00:00+00:00"))
    assert first == utc("2026-10-25T02:30:00+02:00")
    assert ticks.after(first) == utc("2026-10-26T02:30:00+01:00")
    assert ticks.at_or_before(utc("2026-10-25T03:00:00+01:00")) == first


def test_a_wildcard_hour_fires_in_both_passes_of_the_repeated_hour() -> None:
    ticks = CALENDAR.ticks("0 * * * *", "Europe/Berlin")
    fired = upcoming(ticks, utc("2026-10-25T01:00:00+02:00"), 4)
    assert fired == [
        utc("2026-10-25T01:00:00+02:00"),
        utc("2026-10-25T02:00:00+02:00"),
        utc("2026-10-25T02:00:00+01:00"),
        utc("2026-10-25T03:00:00+01:00"),
    ]


def test_a_date_that_never_comes_leaves_no_tick() -> None:
    assert CALENDAR.ticks("0 0 30 2 *", "UTC").after(T0) is None


def test_on_time_ticks_fire_and_the_cursor_moves_past_now() -> None:
    firing = plan_firing(EveryTicks(SECOND), T0, T0 + 2 * SECOND, rules(CatchUp.SKIP), False)
    assert firing.ticks == (T0, T0 + SECOND, T0 + 2 * SECOND)
    assert firing.next_tick == T0 + 3 * SECOND


def test_catch_up_skip_drops_the_missed_ticks() -> None:
    firing = plan_firing(EveryTicks(SECOND), T0, T0 + 60 * SECOND, rules(CatchUp.SKIP), False)
    assert firing.ticks == tuple(T0 + n * SECOND for n in range(56, 61))
    assert firing.next_tick == T0 + 61 * SECOND


def test_catch_up_latest_fires_the_most_recent_missed_tick_once() -> None:
    firing = plan_firing(EveryTicks(SECOND), T0, T0 + 60 * SECOND, rules(CatchUp.LATEST), False)
    assert firing.ticks == tuple(T0 + n * SECOND for n in range(55, 61))


def test_catch_up_all_fires_every_missed_tick_up_to_the_limit_then_goes_on() -> None:
    now = T0 + 60 * SECOND
    firing = plan_firing(EveryTicks(SECOND), T0, now, rules(CatchUp.ALL, limit=40), False)
    assert firing.ticks == tuple(T0 + n * SECOND for n in range(40))
    assert firing.next_tick == T0 + 40 * SECOND
    rest = plan_firing(EveryTicks(SECOND), firing.next_tick, now, rules(CatchUp.ALL), False)
    assert rest.ticks == tuple(T0 + n * SECOND for n in range(40, 61))


def test_overlap_skip_fires_nothing_while_the_previous_job_is_unfinished() -> None:
    ticks = EveryTicks(SECOND)
    busy = plan_firing(ticks, T0, T0 + SECOND, rules(CatchUp.ALL, Overlap.SKIP), True)
    assert busy.ticks == ()
    assert busy.next_tick == T0 + 2 * SECOND
    free = plan_firing(ticks, T0, T0 + SECOND, rules(CatchUp.ALL, Overlap.SKIP), False)
    assert free.ticks == (T0,)


def test_overlap_allow_fires_whatever_the_previous_job_does() -> None:
    firing = plan_firing(EveryTicks(SECOND), T0, T0 + SECOND, rules(CatchUp.ALL), True)
    assert firing.ticks == (T0, T0 + SECOND)


def test_a_tick_not_yet_due_does_not_fire() -> None:
    firing = plan_firing(EveryTicks(SECOND), T0 + SECOND, T0, rules(CatchUp.ALL), False)
    assert firing == type(firing)((), T0 + SECOND)


def test_the_tick_key_names_the_schedule_and_the_tick() -> None:
    assert tick_key("nightly", T0) == "schedule:nightly:2026-12-01T12:00:00+00:00"
