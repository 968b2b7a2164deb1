from dataclasses import dataclass

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.list_jobs import visible_to
from taskforge_app.ports import JobQuery
from taskforge_app.ports.job_count_estimates import JobCountEstimates


@dataclass(frozen=True, slots=True)
class MatchEstimate:
    """An estimate, never a count: shown to people as "about", labelled so."""

    count: int


class EstimateMatchingJobs:
    """About how many jobs a listing's filters match, among those the caller may see."""

    def __init__(self, estimates: JobCountEstimates) -> None:
        self._estimates = estimates

    async def __call__(self, query: JobQuery, caller: Caller = ANONYMOUS) -> MatchEstimate:
        return MatchEstimate(await self._estimates.estimate_matching(visible_to(caller, query)))
