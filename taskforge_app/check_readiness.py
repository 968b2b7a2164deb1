from dataclasses import dataclass

from taskforge_app.ports import JobQueue, JobRepository


@dataclass(frozen=True, slots=True)
class Readiness:
    failures: dict[str, str]

    @property
    def ready(self) -> bool:
        return not self.failures


class CheckReadiness:
    """Ask the store and the queue whether they answer; name the ones that do not."""

    def __init__(self, jobs: JobRepository, queue: JobQueue) -> None:
        self._checks = {"postgres": jobs.ping, "redis": queue.ping}

    async def __call__(self) -> Readiness:
        failures: dict[str, str] = {}
        for name, ping in self._checks.items():
            try:
                await ping()
            except Exception as exc:
                failures[name] = str(exc) or type(exc).__name__
        return Readiness(failures)
