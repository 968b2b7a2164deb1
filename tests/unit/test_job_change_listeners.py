"""One change feed, several listeners: each hears every change and every resync."""

from uuid import uuid4

from taskforge_app.job_change_listeners import JobChangeListeners
from taskforge_app.ports.job_change_feed import JobChange


class Recorder:
    def __init__(self) -> None:
        self.heard: list[str] = []

    def changed(self, changes: list[JobChange]) -> None:
        self.heard.extend(change.status for change in changes)

    def resync(self) -> None:
        self.heard.append("resync")


def test_every_listener_hears_every_change_and_every_resync() -> None:
    first, second = Recorder(), Recorder()
    listeners = JobChangeListeners([first, second])
    listeners.changed([JobChange(uuid4(), 3, "completed"), JobChange(uuid4(), 1, "queued")])
    listeners.resync()

    assert first.heard == ["completed", "queued", "resync"]
    assert second.heard == first.heard
