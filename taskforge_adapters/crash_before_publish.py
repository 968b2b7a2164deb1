"""A fault hook for the fault-injection tests, never switched on in production.

It ends the process abruptly at the first publish to the work stream: in the API
that is right after the job's INSERT committed, in the scheduler right after a
promotion committed: the two crash windows between a commit and its publish.
"""

import os
import sys
from collections.abc import Sequence

from taskforge_app.ports import WorkPublisher
from taskforge_domain.job import Job

CRASH_EXIT_CODE = 70


class CrashBeforePublishQueue(WorkPublisher):
    def __init__(self, publisher: WorkPublisher) -> None:
        self._publisher = publisher

    async def publish(self, jobs: Sequence[Job]) -> None:
        print("taskforge: test fault: crashing before publishing to the stream", file=sys.stderr)
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)
