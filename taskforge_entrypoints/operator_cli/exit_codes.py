"""Exit codes scripts can rely on; every operator command documents them in --help."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    NOT_FOUND = 1
    USAGE = 2
    CONFLICT = 3
    UNAVAILABLE = 4


EPILOG = """\
exit codes:
  0  success
  1  no job with this id
  2  usage error or refused: a bad option, date or cursor, a bad setting,
     or `dlq replay` without --yes or --dry-run
  3  conflict: the job's status does not allow it (cancel a finished job,
     replay a job that is not dead)
  4  PostgreSQL or Redis unavailable

These commands work on PostgreSQL and Redis directly, not through the REST API, so
they need no API key whatever API_AUTH says: whoever can reach the database can do
anything. Their writes are on the audit trail as cli:<your OS user>.
"""


class Refused(Exception):
    """The command will not run as asked (exit 2); the message says what to do instead."""


class Conflict(Exception):
    """The job's status does not allow the operation (exit 3)."""
