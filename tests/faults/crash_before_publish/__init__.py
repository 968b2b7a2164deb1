"""A fault for the crash-window tests: the process ends abruptly at its first publish to
the work stream.

In the api that is right after a job's INSERT committed, in the scheduler right after a
promotion committed: the window between a PostgreSQL write and its XADD that the
delivery repair must close. The product has no switch for it; `python -m
tests.faults.crash_before_publish api|scheduler` runs the real process with this
decorator of the WorkPublisher port wired in as a dishka override.
"""

import os
import sys
from collections.abc import Sequence

from dishka import Provider, Scope, decorate

from taskforge_app.ports import WorkPublisher
from taskforge_domain.job import Job

CRASHING_ENTRY = "tests.faults.crash_before_publish"
CRASH_EXIT_CODE = 70


class CrashBeforePublishing:
    def __init__(self, publisher: WorkPublisher) -> None:
        self._publisher = publisher

    async def publish(self, jobs: Sequence[Job]) -> None:
        print("crashing before publishing to the stream", file=sys.stderr, flush=True)
        # No cleanup and no finally blocks, as when the machine loses power.
        os._exit(CRASH_EXIT_CODE)


class CrashBeforePublish(Provider):
    scope = Scope.APP
    publisher = decorate(CrashBeforePublishing, provides=WorkPublisher)
