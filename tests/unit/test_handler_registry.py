from uuid import uuid4

import pytest

from taskforge_app import builtin_handlers
from taskforge_app.builtin_handlers import register_builtin_handlers
from taskforge_app.handler_registry import DuplicateJobType, HandlerRegistry
from taskforge_app.handlers import JobContext, RetryableError, TerminalError
from tests.unit.fakes import START


async def resize(job: JobContext) -> dict[str, int]:
    return {"width": 10}


async def other_resize(job: JobContext) -> None:
    return None


def job_of(job_type: str, payload: dict[str, object]) -> JobContext:
    return JobContext(
        id=uuid4(),
        job_type=job_type,
        payload=payload,
        attempt=1,
        max_attempts=3,
        queue="normal",
        created_at=START,
    )


def test_the_decorator_registers_the_handler_and_leaves_it_unchanged() -> None:
    registry = HandlerRegistry()

    decorated = registry.handler("resize_image")(resize)

    assert decorated is resize
    assert registry.find("resize_image") is resize
    assert registry.job_types == ["resize_image"]


def test_decorating_a_definition_registers_it() -> None:
    registry = HandlerRegistry()

    @registry.handler("thumbnail")
    async def thumbnail(job: JobContext) -> str:
        return "ok"

    assert registry.find("thumbnail") is thumbnail


def test_a_job_type_with_no_handler_is_not_found() -> None:
    assert HandlerRegistry().find("resize_image") is None


def test_a_second_handler_for_a_job_type_is_refused_and_the_first_kept() -> None:
    registry = HandlerRegistry()
    registry.register("resize_image", resize)

    with pytest.raises(DuplicateJobType, match="resize_image"):
        registry.register("resize_image", other_resize)

    assert registry.find("resize_image") is resize


def test_the_same_handler_registered_again_is_fine() -> None:
    registry = HandlerRegistry()
    registry.handler("resize_image")(resize)

    registry.handler("resize_image")(resize)

    assert registry.find("resize_image") is resize


def test_a_duplicate_job_type_is_a_value_error() -> None:
    assert issubclass(DuplicateJobType, ValueError)


def test_the_builtin_job_types_are_registered() -> None:
    registry = HandlerRegistry()

    register_builtin_handlers(registry)

    assert registry.job_types == ["dead", "fail", "ping"]
    assert registry.find("ping") is builtin_handlers.ping
    assert registry.find("fail") is builtin_handlers.fail
    assert registry.find("dead") is builtin_handlers.dead


def test_registering_the_builtins_twice_is_fine() -> None:
    registry = HandlerRegistry()
    register_builtin_handlers(registry)

    register_builtin_handlers(registry)

    assert registry.job_types == ["dead", "fail", "ping"]


async def test_ping_returns_its_message() -> None:
    assert await builtin_handlers.ping(job_of("ping", {"message": "hello"})) == {"message": "hello"}


@pytest.mark.parametrize("fail", [False, "true", 1])
async def test_ping_fails_only_when_fail_is_json_true(fail: object) -> None:
    assert await builtin_handlers.ping(job_of("ping", {"fail": fail})) == {"message": None}


async def test_ping_with_fail_true_raises_a_retryable_error() -> None:
    with pytest.raises(RetryableError):
        await builtin_handlers.ping(job_of("ping", {"fail": True}))


async def test_fail_raises_a_retryable_error_every_time() -> None:
    with pytest.raises(RetryableError):
        await builtin_handlers.fail(job_of("fail", {}))


async def test_dead_raises_a_terminal_error() -> None:
    with pytest.raises(TerminalError):
        await builtin_handlers.dead(job_of("dead", {}))
