from typing import Protocol

from taskforge_domain.job import Job


class WebhookBodies(Protocol):
    """The JSON a completion webhook carries: the job as the API shows it."""

    def body(self, job: Job) -> bytes: ...
