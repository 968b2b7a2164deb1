"""Three schedulers on one database fire an `every: 1s` schedule for 20 seconds while
they are killed (SIGKILL) and restarted in turn: every tick fires exactly once, with no
gap and no duplicate."""

import asyncio
import time
from datetime import datetime, timedelta

import asyncpg
import httpx

from tests.faults.harness import FaultStack

SCHEDULERS = 3
RUN_SECONDS = 20.0
KILL_EVERY = 2.5
READY_LINE = "scheduler promoting every"


async def ticks_fired(database_url: str, name: str) -> list[datetime]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT idempotency_key FROM jobs WHERE idempotency_key LIKE $1 ORDER BY 1",
            f"schedule:{name}:%",
        )
    finally:
        await conn.close()
    return [datetime.fromisoformat(row["idempotency_key"].split(":", 2)[2]) for row in rows]


async def test_three_schedulers_killed_in_turn_fire_every_tick_exactly_once(
    stack: FaultStack,
) -> None:
    stack.start("api", "api")
    names = [f"scheduler{n}" for n in range(1, SCHEDULERS + 1)]
    for name in names:
        stack.start(name, "scheduler")
    for name in names:
        await stack.wait_for_log(stack.processes[name], READY_LINE, 1)

    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        created = await http.post(
            "/v1/schedules", json={"name": "heartbeat", "every": "1s", "job_type": "record"}
        )
        assert created.status_code == 201, created.text
        first_tick = datetime.fromisoformat(created.json()["next_fire_times"][0])

        kills = 0
        started = time.monotonic()
        while time.monotonic() - started < RUN_SECONDS:
            await asyncio.sleep(KILL_EVERY)
            # One at a time, so two schedulers always run: no tick is missed for want of one.
            victim = names[kills % SCHEDULERS]
            stack.kill(victim)
            stack.start(victim, "scheduler")
            kills += 1
        paused = await http.post("/v1/schedules/heartbeat/pause")
        assert paused.status_code == 200
        paused_at = datetime.fromisoformat(paused.json()["updated_at"])

    fired = await ticks_fired(stack.database_url, "heartbeat")
    duplicates = len(fired) - len(set(fired))
    expected = [first_tick + timedelta(seconds=n) for n in range(len(set(fired)))]
    print(
        f"\nschedulers={SCHEDULERS} ticks={len(fired)} kills={kills} duplicates={duplicates} "
        f"first={first_tick.isoformat()} last={fired[-1].isoformat() if fired else None}"
    )
    assert duplicates == 0
    assert sorted(set(fired)) == expected, stack.logs()
    # Fired up to the pause: the last tick is at most a firing pass behind it.
    assert fired[-1] >= paused_at - timedelta(seconds=2), stack.logs()
    assert len(fired) >= RUN_SECONDS - 1
    assert kills >= 7
