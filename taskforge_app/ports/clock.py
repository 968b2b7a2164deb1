from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current time, timezone-aware UTC."""

    def now(self) -> datetime: ...
