import getpass

from taskforge_app.callers import Caller, cli_caller


def operator() -> Caller:
    """Who the audit trail names for this CLI run. The CLI works on the database directly
    and needs no API key: whoever may reach the database may do anything anyway."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        # A container's uid without a passwd entry still leaves a trace of who it was.
        user = "unknown"
    return cli_caller(user)
