from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram

from taskforge_app.ports.job_events import JobEvents
from taskforge_domain.job import Job

# From a no-op handler (microseconds) to SERVICE_TIMEOUT_SECONDS' default of 300 s.
HANDLER_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip

# job_type comes from clients, so its label values are capped; the rest share one.
MAX_JOB_TYPES = 200
OTHER_JOB_TYPES = "_other"


class PrometheusJobEvents(JobEvents):
    """Counts job events into a registry. Labelled children are cached per job type, so
    an attempt costs one dictionary lookup and one histogram observation."""

    def __init__(self, registry: CollectorRegistry, max_job_types: int = MAX_JOB_TYPES) -> None:
        self._submitted = Counter(
            "taskforge_jobs_submitted",
            "Jobs stored as new by this process, by job type.",
            ["job_type"],
            registry=registry,
        )
        self._finished = Counter(
            "taskforge_jobs_finished",
            "Job outcomes written by this process, by job type and outcome "
            "(completed, retrying, dead, cancelled).",
            ["job_type", "outcome"],
            registry=registry,
        )
        self._handler_seconds = Histogram(
            "taskforge_handler_duration_seconds",
            "Time spent in job handlers, by job type, whatever the outcome.",
            ["job_type"],
            buckets=HANDLER_BUCKETS,
            registry=registry,
        )
        self._fenced = Counter(
            "taskforge_fenced_outcomes",
            "Outcomes refused because their attempt was no longer the running one.",
            registry=registry,
        )
        self._max_job_types = max_job_types
        self._job_types: set[str] = set()
        self._durations: dict[str, Histogram] = {}

    def submitted(self, jobs: Sequence[Job]) -> None:
        counts: dict[str, int] = {}
        for job in jobs:
            counts[job.job_type] = counts.get(job.job_type, 0) + 1
        for job_type, count in counts.items():
            self._submitted.labels(self._label(job_type)).inc(count)

    def handled(self, job_type: str, seconds: float) -> None:
        child = self._durations.get(job_type)
        if child is None:
            child = self._durations[job_type] = self._handler_seconds.labels(self._label(job_type))
        child.observe(seconds)

    def finished(self, jobs: Sequence[Job]) -> None:
        counts: dict[tuple[str, str], int] = {}
        for job in jobs:
            key = (job.job_type, job.status.value)
            counts[key] = counts.get(key, 0) + 1
        for (job_type, outcome), count in counts.items():
            self._finished.labels(self._label(job_type), outcome).inc(count)

    def fenced(self, jobs: Sequence[Job]) -> None:
        if jobs:
            self._fenced.inc(len(jobs))

    def _label(self, job_type: str) -> str:
        if job_type in self._job_types:
            return job_type
        if len(self._job_types) < self._max_job_types:
            self._job_types.add(job_type)
            return job_type
        return OTHER_JOB_TYPES
