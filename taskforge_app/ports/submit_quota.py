from typing import Protocol


class SubmitQuota(Protocol):
    async def take(self, holder: str, jobs: int, per_second: int) -> float | None:
        """Count `jobs` against holder's rate shared by every API process; None when
        they fit, else the seconds until the holder may submit again."""
        ...
