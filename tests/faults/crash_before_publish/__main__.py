import sys

from taskforge_entrypoints.config.settings import load_settings
from taskforge_entrypoints.process.lifecycle import run_event_loop
from taskforge_entrypoints.process.logging_setup import configure_logging
from taskforge_entrypoints.rest.serve import serve_api
from taskforge_entrypoints.scheduler.main import main as run_scheduler
from tests.faults.crash_before_publish import CRASHING_ENTRY, CrashBeforePublish


def main(command: str) -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if command == "api":
        serve_api(settings, CrashBeforePublish())
    elif command == "scheduler":
        run_event_loop(run_scheduler(settings, CrashBeforePublish()))
    else:
        raise SystemExit(f"usage: python -m {CRASHING_ENTRY} api|scheduler (not {command!r})")


main(" ".join(sys.argv[1:]))
