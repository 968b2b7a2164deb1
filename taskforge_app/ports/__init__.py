"""What the use cases need from the outside world, as Protocols the adapters satisfy."""

from taskforge_app.ports.clock import Clock
from taskforge_app.ports.job_queries import Attempt, JobQuery, LeaseRenewal
from taskforge_app.ports.job_queue import DeadLetter, Delivery, JobQueue
from taskforge_app.ports.job_repository import JobRepository, UnstorablePayload
from taskforge_app.ports.unavailable import QueueUnavailable, StoreUnavailable

__all__ = [
    "Attempt",
    "Clock",
    "DeadLetter",
    "Delivery",
    "JobQuery",
    "JobQueue",
    "JobRepository",
    "LeaseRenewal",
    "QueueUnavailable",
    "StoreUnavailable",
    "UnstorablePayload",
]
