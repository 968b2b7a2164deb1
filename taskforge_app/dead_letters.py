from collections.abc import Sequence
from datetime import datetime

from taskforge_app.ports import DeadLetter, DeadLetterPublisher, DeadLetterRecords
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus


async def send_dead_letters(
    records: DeadLetterRecords,
    publisher: DeadLetterPublisher,
    finished: Sequence[Job],
    now: datetime,
) -> None:
    """Publish a dead letter for each dead job among `finished`, then record that it was
    published; a crash in between leaves it to the repair pass, never lost."""
    dead = [job for job in finished if job.status is JobStatus.DEAD]
    if dead:
        await publisher.publish_dead([DeadLetter.of(job) for job in dead])
        await records.mark_dead_lettered([job.id for job in dead], now)
