from taskforge_entrypoints.config.settings import load_settings
from taskforge_entrypoints.process.lifecycle import run_event_loop
from taskforge_entrypoints.process.logging_setup import configure_logging
from taskforge_entrypoints.scheduler.main import main as run_scheduler
from tests.faults.crash_before_relay_mark import CrashBeforeRelayMark

settings = load_settings()
configure_logging(settings.log_level, settings.log_format)
run_event_loop(run_scheduler(settings, CrashBeforeRelayMark()))
