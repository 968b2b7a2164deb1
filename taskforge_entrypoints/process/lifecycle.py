"""What every long-running process shares: its event loop, and stopping on a signal."""

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a long-lived process's main coroutine on uvloop where it is installed.

    A draining worker spends about a third of its time in the event loop's own
    Python code (transports, timers, task steps); uvloop does that in C, which gave
    the one-worker drain about 12 % more jobs/s in paired runs (BENCHMARKS.md).
    """
    try:
        import uvloop
    except ImportError:  # not built for this platform (Windows)
        return asyncio.run(main)
    return uvloop.run(main)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT, so loops can finish their work and return."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop
