import msgspec
import pytest

from taskforge_entrypoints.rest.errors import InvalidJob
from taskforge_entrypoints.rest.job_requests import new_job
from taskforge_entrypoints.rest.schemas import JobBatchItem, JobCreate

QUEUES = ("high", "normal", "low")


def test_a_job_type_ending_in_a_line_break_is_refused_though_its_pattern_passed() -> None:
    fields = msgspec.convert({"job_type": "ping\n"}, JobCreate)

    with pytest.raises(InvalidJob, match="job_type must not end with a line break"):
        new_job(fields, None, QUEUES)


def test_a_batch_items_key_ending_in_a_line_break_is_refused_naming_the_item() -> None:
    item = msgspec.convert({"job_type": "ping", "idempotency_key": "key\n"}, JobBatchItem)

    with pytest.raises(InvalidJob, match=r"jobs\[3\]: idempotency_key must not end"):
        new_job(item, item.idempotency_key, QUEUES, where="jobs[3]: ")


def test_a_job_type_and_key_without_a_line_break_pass() -> None:
    fields = msgspec.convert({"job_type": "report.build:v2"}, JobCreate)

    assert new_job(fields, "order 42", QUEUES).job_type == "report.build:v2"
