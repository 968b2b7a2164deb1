from typing import Protocol

from taskforge_app.ports.job_queries import JobQuery


class JobCountEstimates(Protocol):
    """How many jobs a query matches, as the store estimates it without counting them:
    an exact count would read every matching job, a million for a common filter.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def estimate_matching(self, query: JobQuery) -> int:
        """About how many jobs match the query's filters (its limit and cursor aside)."""
        ...
