"""What a handler receives: a read-only view of its job and a logger bound to it."""

import copy
import json
import logging
import pickle
import threading
from dataclasses import FrozenInstanceError
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from taskforge_app.handlers import JobContext
from taskforge_app.job_context import context_of
from taskforge_domain.job import Job
from taskforge_entrypoints.process.logging_setup import JsonFormatter
from tests.unit.fakes import START

LEASE = timedelta(seconds=30)
PAYLOAD: dict[str, Any] = {"url": "https://img/1.png", "sizes": [64, 128], "crop": {"x": 1}}
TRANSITIONS = [
    "enqueue",
    "start",
    "complete",
    "fail",
    "kill",
    "cancel",
    "request_cancel",
    "cancelled_while_running",
    "replay",
]


def claimed(payload: dict[str, Any] | None = None) -> Job:
    job = Job.submit(
        job_id=uuid4(),
        job_type="resize_image",
        payload=copy.deepcopy(PAYLOAD) if payload is None else payload,
        max_attempts=5,
        now=START,
        queue="bulk",
    )
    return job.enqueue(START).start(START, LEASE, worker="worker-7")


def test_the_view_shows_the_claimed_attempt() -> None:
    job = claimed()

    view = context_of(job)

    assert (view.id, view.job_type, view.queue, view.created_at) == (
        job.id,
        "resize_image",
        "bulk",
        START,
    )
    assert (view.attempt, view.max_attempts, view.worker) == (1, 5, "worker-7")
    assert view.payload == PAYLOAD


def test_the_view_has_no_way_to_move_the_job() -> None:
    view = context_of(claimed())

    assert [name for name in TRANSITIONS if hasattr(view, name)] == []
    assert not hasattr(view, "status")
    assert not hasattr(view, "__dict__")


@pytest.mark.parametrize("name", ["id", "attempt", "max_attempts", "payload", "log", "status"])
def test_no_field_can_be_set_or_deleted(name: str) -> None:
    view = context_of(claimed())

    with pytest.raises(FrozenInstanceError):
        setattr(view, name, 99)
    with pytest.raises(FrozenInstanceError):
        delattr(view, name)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.__setitem__("url", "elsewhere"),
        lambda p: p.__delitem__("url"),
        lambda p: p.update(url="elsewhere"),
        lambda p: p.setdefault("new", 1),
        lambda p: p.pop("url"),
        lambda p: p.popitem(),
        lambda p: p.clear(),
        lambda p: p.__ior__({"new": 1}),
        lambda p: p["crop"].__setitem__("x", 2),
        lambda p: p["sizes"].append(256),
        lambda p: p["sizes"].__setitem__(0, 1),
        lambda p: p["sizes"].sort(reverse=True),
        lambda p: p["sizes"].__iadd__([256]),
    ],
    ids=[
        "set",
        "delete",
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "merge-in-place",
        "nested-object",
        "nested-append",
        "nested-set",
        "nested-sort",
        "nested-extend-in-place",
    ],
)
def test_the_payload_cannot_be_changed_at_any_depth(change: Any) -> None:
    job = claimed()
    view = context_of(job)

    with pytest.raises(TypeError, match="read-only"):
        change(view.payload)

    assert view.payload == PAYLOAD
    assert job.payload == PAYLOAD


def test_a_copy_of_the_payload_is_the_handlers_to_change() -> None:
    view = context_of(claimed())

    for mutable in (dict(view.payload), copy.copy(view.payload), copy.deepcopy(view.payload)):
        mutable["url"] = "elsewhere"
    deep = copy.deepcopy(view.payload)
    deep["sizes"].append(256)
    deep["crop"]["x"] = 2
    merged = view.payload | {"url": "elsewhere"}

    assert (deep["sizes"], deep["crop"], merged["url"]) == ([64, 128, 256], {"x": 2}, "elsewhere")
    assert pickle.loads(pickle.dumps(view.payload)) == PAYLOAD
    assert view.payload == PAYLOAD


def test_the_payload_is_still_plain_json() -> None:
    view = context_of(claimed())

    assert isinstance(view.payload, dict)
    assert isinstance(view.payload["sizes"], list)
    assert json.loads(json.dumps(view.payload)) == PAYLOAD


def test_a_handler_test_builds_a_view_without_a_job() -> None:
    view = JobContext(
        id=uuid4(),
        job_type="resize_image",
        payload={"width": 10},
        attempt=2,
        max_attempts=3,
        queue="normal",
        created_at=START,
    )

    assert (view.attempt, view.worker, view.payload) == (2, None, {"width": 10})
    assert repr(view) == (
        f"JobContext(id={view.id}, job_type='resize_image', attempt=2/3, queue='normal')"
    )


def test_every_line_of_the_log_carries_the_job_fields_and_the_calls_own_extra(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = claimed()
    view = context_of(job)

    with caplog.at_level(logging.INFO, logger="taskforge.handlers"):
        view.log.info("resized to %d", 64, extra={"bytes": 512})
        view.log.warning("slow upstream")

    assert [r.getMessage() for r in caplog.records] == ["resized to 64", "slow upstream"]
    for record in caplog.records:
        assert record.name == "taskforge.handlers"
        fields = [record.__dict__[name] for name in ("job_id", "job_type", "attempt", "worker")]
        assert fields == [str(job.id), "resize_image", 1, "worker-7"]
    assert caplog.records[0].__dict__["bytes"] == 512


def test_a_log_line_written_away_from_the_attempts_task_still_names_the_job() -> None:
    view = context_of(claimed())
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    view.log.logger.addHandler(keep)
    try:
        thread = threading.Thread(target=view.log.error, args=("from a thread",))
        thread.start()
        thread.join()
    finally:
        view.log.logger.removeHandler(keep)

    [line] = [json.loads(JsonFormatter().format(record)) for record in records]
    assert line["message"] == "from a thread"
    assert (line["job_id"], line["job_type"], line["attempt"], line["worker"]) == (
        str(view.id),
        "resize_image",
        1,
        "worker-7",
    )
