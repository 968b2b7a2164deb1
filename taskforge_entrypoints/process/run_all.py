"""`taskforge run`: the three processes of a deployment, side by side, for local use."""

import signal
import subprocess
import sys
import time

_PROCESSES = (["api"], ["worker", "--no-scheduler"], ["scheduler"])


def run_all() -> int:
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "taskforge_entrypoints.cli", *args], start_new_session=True
        )
        for args in _PROCESSES
    ]

    def forward(signum: int, _: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    # One process dying takes the others down: a half-running stack misleads.
    while all(child.poll() is None for child in children):
        time.sleep(0.2)
    forward(signal.SIGTERM, None)
    return max(child.wait() for child in children)
