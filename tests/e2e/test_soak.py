"""The soak of `make bench` (bench/soak.py), bounded to half a minute: the highest submit
rate 64 HTTP clients reach, while two workers and a scheduler drain."""

from bench.bench_stack import BenchStack
from bench.soak import SLOWEST_START_LIMIT, WARM_UP, soak
from tests.conftest import Services

SECONDS = 30


async def test_at_the_highest_submit_rate_nothing_deadlocks_fails_or_waits(
    test_services: Services,
) -> None:
    redis_addr = test_services.redis_url.removeprefix("redis://").split("/")[0]
    settings = {"SERVICE_MAX_ATTEMPTS": "3"}
    async with BenchStack(test_services.admin_url, redis_addr, settings) as stack:
        result = await soak(stack, SECONDS, clients=64, workers=2)

    assert result.accepted > 1000, result
    assert result.deadlocks == 0, result
    assert (result.server_errors, result.unanswered) == (0, 0), result
    assert result.completed == result.stored == result.accepted + WARM_UP, result
    assert result.slowest_start < SLOWEST_START_LIMIT, result
