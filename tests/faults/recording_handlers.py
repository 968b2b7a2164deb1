"""The fault suite's job type: it logs when each attempt starts and ends, so overlapping
runs of one job are visible afterwards, even for a process killed mid-attempt.
`record_limited` is the same handler under a type the limits scenarios limit.
"""

import asyncio
import os
import time
from typing import Any

from taskforge_app.handlers import JobContext, RetryableError, job_handler

_LOG = os.path.join(os.environ["TASKFORGE_FAULT_LOG_DIR"], f"{os.getpid()}.log")


def _write(event: str, job: JobContext) -> None:
    line = f"{event} {job.id} {job.attempt} {os.getpid()} {time.time():.6f}\n".encode()
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


@job_handler("record_limited")
@job_handler("record")
async def record(job: JobContext) -> dict[str, Any]:
    _write("start", job)
    try:
        await asyncio.sleep(float(job.payload.get("ms", 0)) / 1000)
        if job.attempt <= int(job.payload.get("fail_attempts", 0)):
            raise RetryableError(f"asked to fail attempt {job.attempt}")
        return {"attempt": job.attempt}
    finally:
        _write("end", job)
