from datetime import UTC, datetime

from taskforge_app.ports import Clock


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)
