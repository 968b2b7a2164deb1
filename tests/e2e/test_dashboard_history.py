"""The dashboard's throughput outlives its API process: what one process counted, the
next one started against the same database shows."""

import asyncio
import re
import time

import httpx

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import (
    TaskforgeProcess,
    stack_environment,
    wait_for_status,
    wait_until_ready,
)

_COMPLETED_IN_15_MINUTES = re.compile(r'<th scope="row">15 min</th><td>(\d+)</td>')


async def completed_shown(base_url: str) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        page = await http.get("/ui/overview/live")
    assert page.status_code == 200, page.text
    found = _COMPLETED_IN_15_MINUTES.search(page.text)
    assert found is not None, page.text
    return int(found.group(1))


async def shown_once(base_url: str, completed: int, within: float = 10) -> int:
    deadline = time.monotonic() + within
    while (shown := await completed_shown(base_url)) < completed:
        assert time.monotonic() < deadline, f"the overview shows {shown} completed, not {completed}"
        await asyncio.sleep(0.05)
    return shown


async def test_a_restarted_api_shows_the_attempts_its_predecessor_counted(
    test_services: Services,
) -> None:
    env = await stack_environment(test_services, "history-worker", FAST_RETRIES)
    base_url = env["HTTP_BASE_URL"]
    api = TaskforgeProcess(["api"], env)
    worker = TaskforgeProcess(["worker"], env)
    try:
        wait_until_ready(base_url, api)
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            for n in range(6):
                body = {"job_type": "add", "payload": {"numbers": [n, 1]}}
                answer = await http.post("/v1/jobs", json=body)
                assert answer.status_code == 202, answer.text
                await wait_for_status(http, answer.json()["id"])
        # The count follows the outcome notices, which may arrive after the job reads
        # completed.
        counted = await shown_once(base_url, 6)
        # A clean stop saves what the last bucket heard.
        assert api.stop() == 0, api.log

        api = TaskforgeProcess(["api"], env)
        wait_until_ready(base_url, api)
        assert await shown_once(base_url, counted) == counted
    finally:
        exits = (api.stop(), worker.stop())
    assert exits == (0, 0), f"--- api\n{api.log}\n--- worker\n{worker.log}"
