"""Where log records go: one JSON object per line for machines, or text for a person."""

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

from taskforge_app.job_log_context import current_job, job_context

# Fields a record about a job carries: passed with `extra=`, or else taken from the job
# whose attempt the logging task runs (taskforge_app.job_log_context).
JOB_FIELDS = ("job_id", "job_type", "attempt", "worker")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

_encode = msgspec.json.Encoder(enc_hook=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: `time` (RFC 3339, UTC), `level`, `logger`,
    `message`; `job_id`, `job_type`, `attempt` and `worker` when the record is about a
    job; `exception` with the traceback when one was logged."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _rfc3339(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        if "job_id" in fields:
            for name in JOB_FIELDS:
                if fields.get(name) is not None:
                    entry[name] = fields[name]
        elif (job := current_job.get()) is not None:
            entry.update((k, v) for k, v in job_context(job).items() if v is not None)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encode(entry).decode()


def _rfc3339(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def wants_json(log_format: str, stream: TextIO) -> bool:
    """`auto` means JSON unless a person watches the stream (it is a terminal)."""
    if log_format != "auto":
        return log_format == "json"
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every record at `level` or above, Taskforge's and its libraries' (uvicorn
    included), to `stream` (stderr by default) in the chosen format."""
    target = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(target)
    if wants_json(log_format, target):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for previous in root.handlers[:]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
