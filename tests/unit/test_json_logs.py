"""Logs as one JSON object per line, or text for a person at a terminal."""

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from taskforge_app.job_log_context import current_job, job_context
from taskforge_domain.job import Job
from taskforge_entrypoints.process.logging_setup import JsonFormatter, configure_logging, wants_json
from tests.unit.fakes import START

LEASE = timedelta(seconds=30)
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def record(
    message: str = "job %s attempt %d: %s",
    args: tuple[object, ...] = ("1b4e28ba", 2, "retrying"),
    level: int = logging.INFO,
    extra: dict[str, object] | None = None,
    exc_info: bool = False,
) -> logging.LogRecord:
    logger = logging.getLogger("taskforge.worker")
    exception = None
    if exc_info:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError as exc:
            exception = (type(exc), exc, exc.__traceback__)
    return logger.makeRecord(logger.name, level, __file__, 1, message, args, exception, extra=extra)


def formatted(log_record: logging.LogRecord) -> dict[str, object]:
    line = JsonFormatter().format(log_record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert isinstance(parsed, dict)
    return parsed


def test_a_record_is_one_json_object_with_time_level_logger_and_the_formatted_message() -> None:
    entry = formatted(record())

    assert set(entry) == {"time", "level", "logger", "message"}
    assert RFC3339_UTC.match(str(entry["time"])), entry["time"]
    assert entry["level"] == "INFO"
    assert entry["logger"] == "taskforge.worker"
    assert entry["message"] == "job 1b4e28ba attempt 2: retrying"


def test_the_job_fields_passed_with_extra_are_carried_and_other_extras_are_not() -> None:
    job_id = uuid4()
    extra = {
        "job_id": job_id,
        "job_type": "resize",
        "attempt": 3,
        "worker": "worker-7",
        "color_message": "\x1b[32mignored\x1b[0m",
    }

    entry = formatted(record(extra=extra))

    assert UUID(str(entry["job_id"])) == job_id
    assert (entry["job_type"], entry["attempt"], entry["worker"]) == ("resize", 3, "worker-7")
    assert "color_message" not in entry


def test_job_context_gives_every_job_field() -> None:
    job = Job.submit(job_id=uuid4(), job_type="resize", payload={}, max_attempts=5, now=START)
    started = job.enqueue(START).start(START, LEASE, worker="worker-7")

    assert job_context(started) == {
        "job_id": str(job.id),
        "job_type": "resize",
        "attempt": 1,
        "worker": "worker-7",
    }
    assert job_context(started, "worker-9")["worker"] == "worker-9"


async def test_a_record_logged_while_an_attempt_runs_carries_that_job_without_extra() -> None:
    job = Job.submit(job_id=uuid4(), job_type="resize", payload={}, max_attempts=5, now=START)
    started = job.enqueue(START).start(START, LEASE, worker="worker-7")

    async def attempt() -> dict[str, object]:
        current_job.set(started)
        return formatted(record("a handler says hello", ()))

    inside = await asyncio.create_task(attempt())
    outside = formatted(record("the loop says hello", ()))

    assert (inside["job_id"], inside["job_type"], inside["attempt"], inside["worker"]) == (
        str(job.id),
        "resize",
        1,
        "worker-7",
    )
    assert "job_id" not in outside


def test_an_exception_is_carried_with_its_traceback_on_the_same_line() -> None:
    entry = formatted(record("failed", (), level=logging.ERROR, exc_info=True))

    assert entry["level"] == "ERROR"
    assert "Traceback" in str(entry["exception"])
    assert "ValueError: boom\nsecond line" in str(entry["exception"])


def test_a_message_with_quotes_newlines_and_unicode_stays_one_parseable_line() -> None:
    text = 'unknown job_type "résumé"\n\tline two \x00'

    entry = formatted(record("%s", (text,)))

    assert entry["message"] == text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("log_format", "stream", "expected"),
    [
        ("auto", Terminal(), False),
        ("auto", io.StringIO(), True),
        ("json", Terminal(), True),
        ("text", io.StringIO(), False),
    ],
    ids=["auto-terminal", "auto-pipe", "json", "text"],
)
def test_auto_means_json_unless_the_stream_is_a_terminal(
    log_format: str, stream: io.StringIO, expected: bool
) -> None:
    assert wants_json(log_format, stream) is expected


@pytest.fixture
def restored_root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configured_json_logging_writes_every_logger_uvicorns_included_at_the_level(
    restored_root_logger: logging.Logger,
) -> None:
    stream = io.StringIO()

    configure_logging("WARNING", "auto", stream)
    logging.getLogger("uvicorn.error").warning("Started server process [%d]", 7)
    logging.getLogger("taskforge.worker").info("below the level")
    logging.getLogger("taskforge.scheduler").error("above the level")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "Started server process [7]"),
        ("taskforge.scheduler", "above the level"),
    ]
    [handler] = restored_root_logger.handlers
    assert isinstance(handler, logging.StreamHandler)
    assert handler.stream is stream


def test_configured_text_logging_writes_plain_lines(
    restored_root_logger: logging.Logger,
) -> None:
    stream = Terminal()

    configure_logging("INFO", "auto", stream)
    logging.getLogger("taskforge.worker").info("worker %s stopped", "worker-1")

    [line] = stream.getvalue().splitlines()
    assert line.endswith(" INFO taskforge.worker worker worker-1 stopped")
    assert not line.startswith("{")
