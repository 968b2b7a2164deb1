"""The API for handler authors is one module, and the README's examples of it run as shown."""

import ast
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

import taskforge_app.handlers
from taskforge_app import handler_registry
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.handlers import JobContext, RetryableError, TerminalError
from tests.conftest import PROJECT_ROOT

SECTION = "## Writing your own job types"
MODULES_OF_HANDLERS_UNDER_TESTS = [
    "tests/e2e/sample_handlers.py",
    "tests/faults/recording_handlers.py",
]


def readme_examples() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def taskforge_imports(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return {module for module in modules if module.startswith("taskforge")}


@pytest.fixture
def resize_image(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """The README's handler, registered into a registry of its own."""
    registry = HandlerRegistry()
    monkeypatch.setattr(taskforge_app.handlers, "job_handler", registry.handler)
    namespace: dict[str, Any] = {}
    exec(compile(readme_examples()[0], "README.md", "exec"), namespace)
    assert registry.job_types == ["resize_image"]
    handler = registry.find("resize_image")
    assert handler is not None
    return handler


def context(payload: dict[str, Any], attempt: int = 1) -> JobContext:
    return JobContext(
        id=uuid4(),
        job_type="resize_image",
        payload=payload,
        attempt=attempt,
        max_attempts=5,
        queue="normal",
        created_at=datetime.now(UTC),
    )


def test_everything_a_handler_needs_is_exported_by_one_module() -> None:
    exported = set(taskforge_app.handlers.__all__)

    assert {"job_handler", "JobContext", "RetryableError", "TerminalError"} <= exported
    assert all(hasattr(taskforge_app.handlers, name) for name in exported)


def test_the_old_import_path_of_the_decorator_is_the_same_decorator() -> None:
    assert handler_registry.job_handler is taskforge_app.handlers.job_handler


@pytest.mark.parametrize("path", MODULES_OF_HANDLERS_UNDER_TESTS)
def test_the_handler_modules_of_the_tests_import_only_the_public_module(path: str) -> None:
    assert taskforge_imports((PROJECT_ROOT / path).read_text()) == {"taskforge_app.handlers"}


def test_the_readme_examples_import_only_the_public_module() -> None:
    handler, handler_test = readme_examples()

    assert taskforge_imports(handler) == {"taskforge_app.handlers"}
    assert taskforge_imports(handler_test) == set()


async def test_the_readme_handler_resizes_and_logs_about_its_job(
    resize_image: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    view = context({"url": "https://img.example/a.png", "width": 64})

    with caplog.at_level(logging.INFO, logger="taskforge.handlers"):
        result = await resize_image(view)

    assert result == {"thumbnail": "https://img.example/a.png?w=64", "width": 64}
    [record] = caplog.records
    assert record.getMessage() == "resizing https://img.example/a.png to 64 px"
    assert (record.__dict__["job_id"], record.__dict__["attempt"]) == (str(view.id), 1)


@pytest.mark.parametrize(
    ("payload", "error", "retry_in"),
    [
        ({"width": 64}, TerminalError, None),
        ({"url": "http://flaky.example/a.png"}, RetryableError, None),
        ({"url": "http://busy.example/a.png"}, RetryableError, timedelta(seconds=30)),
    ],
)
async def test_the_readme_handler_fails_as_the_readme_says(
    resize_image: Callable[..., Any],
    payload: dict[str, Any],
    error: type[Exception],
    retry_in: timedelta | None,
) -> None:
    with pytest.raises(error) as raised:
        await resize_image(context(payload))

    assert getattr(raised.value, "retry_in", None) == retry_in


async def test_the_readme_test_of_the_handler_passes(resize_image: Callable[..., Any]) -> None:
    namespace = {
        "JobContext": JobContext,
        "RetryableError": RetryableError,
        "resize_image": resize_image,
        "uuid4": uuid4,
        "datetime": datetime,
        "UTC": UTC,
        "timedelta": timedelta,
        "pytest": pytest,
    }
    handler_test = readme_examples()[1]
    code = compile(handler_test, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

    await eval(code, namespace)
