"""What the use cases need from the outside world: small Protocols, one per role, that
the adapters satisfy (one adapter class may play several roles)."""

from taskforge_app.ports.attempt_ledger import AttemptLedger
from taskforge_app.ports.clock import Clock
from taskforge_app.ports.dead_letter_channel import (
    DeadLetter,
    DeadLetterFollower,
    DeadLetterPublisher,
)
from taskforge_app.ports.delivery_records import DeadLetterRecords, DeliveryRecords
from taskforge_app.ports.enqueue_relay import (
    EnqueuedJobs,
    EnqueueRules,
    EnqueueWakeups,
    RelayBatch,
)
from taskforge_app.ports.job_intake import JobIntake, UnstorablePayload
from taskforge_app.ports.job_lookup import JobLookup
from taskforge_app.ports.job_queries import Attempt, JobQuery, LeaseRenewal, UnsearchableText
from taskforge_app.ports.job_retention import FinishedJobs
from taskforge_app.ports.job_revisions import JobRevisions
from taskforge_app.ports.payload_search import PayloadEquals
from taskforge_app.ports.probe import Probe
from taskforge_app.ports.unavailable import ChannelUnavailable, StoreUnavailable
from taskforge_app.ports.work_channel import (
    ConsumerTakeover,
    Delivery,
    MessagesInTransit,
    WorkConsumer,
    WorkPublisher,
)
from taskforge_app.ports.worker_presence import WorkerIdentity, WorkerPresence, WorkerSeen

__all__ = [
    "Attempt",
    "AttemptLedger",
    "ChannelUnavailable",
    "Clock",
    "ConsumerTakeover",
    "DeadLetter",
    "DeadLetterFollower",
    "DeadLetterPublisher",
    "DeadLetterRecords",
    "Delivery",
    "DeliveryRecords",
    "EnqueueRules",
    "EnqueueWakeups",
    "EnqueuedJobs",
    "FinishedJobs",
    "JobIntake",
    "JobLookup",
    "JobQuery",
    "JobRevisions",
    "LeaseRenewal",
    "MessagesInTransit",
    "PayloadEquals",
    "Probe",
    "RelayBatch",
    "StoreUnavailable",
    "UnsearchableText",
    "UnstorablePayload",
    "WorkConsumer",
    "WorkPublisher",
    "WorkerIdentity",
    "WorkerPresence",
    "WorkerSeen",
]
