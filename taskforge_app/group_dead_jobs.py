from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.ports.dead_job_groups import DeadJobGroups, DeadJobSummary

WINDOW = 2_000
"""The most recently dead jobs the groups count: the statement's cost stays bounded
however many dead jobs the table keeps. Each dead job is a heap page of its own (they die
scattered), so the window is what a page can read: among 50,000 dead of 1,000,000 jobs,
2,000 took 3 ms, 5,000 took 28 ms and 10,000 took 45 ms on two busy cores."""
TOP = 20
"""The largest groups of each kind shown."""


class GroupDeadJobs:
    """The dead jobs the caller may see, counted by job type and by error."""

    def __init__(self, groups: DeadJobGroups) -> None:
        self._groups = groups

    async def __call__(
        self, caller: Caller = ANONYMOUS, window: int = WINDOW, top: int = TOP
    ) -> DeadJobSummary:
        return await self._groups.group_dead_jobs(window, top, caller.grant.queues)
