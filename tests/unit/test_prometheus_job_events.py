"""The Prometheus adapter of JobEvents: what a scrape of its registry shows."""

from dataclasses import replace
from uuid import uuid4

import pytest
from prometheus_client import CollectorRegistry

from taskforge_adapters.prometheus.job_metrics import OTHER_JOB_TYPES, PrometheusJobEvents
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START


def job(job_type: str, status: JobStatus = JobStatus.PENDING) -> Job:
    submitted = Job.submit(job_id=uuid4(), job_type=job_type, payload={}, max_attempts=3, now=START)
    return replace(submitted, status=status)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_submissions_and_outcomes_are_counted_by_job_type_and_outcome() -> None:
    registry = CollectorRegistry()
    events = PrometheusJobEvents(registry)

    events.submitted([job("ping"), job("ping"), job("resize")])
    events.finished([job("ping", JobStatus.COMPLETED), job("ping", JobStatus.COMPLETED)])
    events.finished([job("resize", JobStatus.RETRYING), job("resize", JobStatus.DEAD)])
    events.finished([job("ping", JobStatus.CANCELLED)])
    events.fenced([job("ping", JobStatus.COMPLETED)])

    assert sample(registry, "taskforge_jobs_submitted_total", job_type="ping") == 2
    assert sample(registry, "taskforge_jobs_submitted_total", job_type="resize") == 1
    finished = "taskforge_jobs_finished_total"
    assert sample(registry, finished, job_type="ping", outcome="completed") == 2
    assert sample(registry, finished, job_type="ping", outcome="cancelled") == 1
    assert sample(registry, finished, job_type="resize", outcome="retrying") == 1
    assert sample(registry, finished, job_type="resize", outcome="dead") == 1
    assert sample(registry, "taskforge_fenced_outcomes_total") == 1


def test_handler_durations_fill_a_histogram_per_job_type() -> None:
    registry = CollectorRegistry()
    events = PrometheusJobEvents(registry)

    for seconds in (0.0002, 0.003, 0.7):
        events.handled("ping", seconds)

    name = "taskforge_handler_duration_seconds"
    assert sample(registry, f"{name}_count", job_type="ping") == 3
    assert sample(registry, f"{name}_sum", job_type="ping") == pytest.approx(0.7032)
    assert sample(registry, f"{name}_bucket", job_type="ping", le="0.001") == 1
    assert sample(registry, f"{name}_bucket", job_type="ping", le="0.005") == 2
    assert sample(registry, f"{name}_bucket", job_type="ping", le="+Inf") == 3


def test_job_types_past_the_cap_share_one_label_value() -> None:
    registry = CollectorRegistry()
    events = PrometheusJobEvents(registry, max_job_types=2)

    events.submitted([job("a"), job("b"), job("c"), job("d")])
    events.finished([job("a", JobStatus.DEAD), job("e", JobStatus.DEAD)])

    submitted = "taskforge_jobs_submitted_total"
    assert [sample(registry, submitted, job_type=t) for t in ("a", "b", "c", "d")] == [1, 1, 0, 0]
    assert sample(registry, submitted, job_type=OTHER_JOB_TYPES) == 2
    finished = "taskforge_jobs_finished_total"
    assert sample(registry, finished, job_type=OTHER_JOB_TYPES, outcome="dead") == 1
