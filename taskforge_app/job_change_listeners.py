"""One change feed, several listeners in a process."""

from collections.abc import Sequence

from taskforge_app.ports.job_change_feed import JobChange, JobChangeSink


class JobChangeListeners(JobChangeSink):
    def __init__(self, sinks: Sequence[JobChangeSink]) -> None:
        self._sinks = tuple(sinks)

    def changed(self, changes: list[JobChange]) -> None:
        for sink in self._sinks:
            sink.changed(changes)

    def resync(self) -> None:
        for sink in self._sinks:
            sink.resync()
