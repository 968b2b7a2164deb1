import asyncio
import logging

import pytest

from taskforge_app.ports import StoreUnavailable
from taskforge_app.runtime.outages import REMIND_EVERY, until_available
from tests.unit.fakes import JumpingTimer


def failing_until(timer: JumpingTimer, seconds: float):  # type: ignore[no-untyped-def]
    async def action() -> str:
        if timer.now < seconds:
            raise StoreUnavailable("PostgreSQL unavailable: ConnectionRefusedError")
        return "migrated"

    return action


async def test_a_long_wait_is_logged_once_then_at_a_calm_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timer = JumpingTimer()
    caplog.set_level(logging.INFO, logger="taskforge")

    result = await until_available(
        failing_until(timer, 300), asyncio.Event(), "applying migrations", timer=timer
    )

    assert result == "migrated"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0] == (
        "applying migrations: waiting (PostgreSQL unavailable: ConnectionRefusedError)"
    )
    assert all("still waiting after" in line for line in warnings[1:])
    # About 60 retries in five minutes, but a line only per REMIND_EVERY seconds.
    assert len(warnings) <= 1 + 300 / REMIND_EVERY
    assert len(warnings) >= 300 / REMIND_EVERY - 1
    [done] = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert done.startswith("applying migrations: done after waiting 30")


async def test_an_action_that_succeeds_at_once_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timer = JumpingTimer()
    caplog.set_level(logging.INFO, logger="taskforge")

    result = await until_available(failing_until(timer, 0), asyncio.Event(), "x", timer=timer)

    assert result == "migrated"
    assert caplog.records == []


async def test_a_stop_during_the_wait_returns_none() -> None:
    timer = JumpingTimer()
    stop = asyncio.Event()

    async def action() -> str:
        stop.set()
        raise StoreUnavailable("PostgreSQL unavailable")

    assert await until_available(action, stop, "x", timer=timer) is None
