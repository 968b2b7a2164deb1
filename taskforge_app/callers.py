"""Who is behind a call: the name the audit trail records, what their key grants, and the
request it came with."""

from dataclasses import dataclass

from taskforge_domain.access import Grant


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    """The key's name; `anonymous` while API_AUTH is off; `cli:<os user>` for the CLI."""
    grant: Grant
    request_id: str | None = None


ANONYMOUS = Caller("anonymous", Grant.everything())
"""Every call while API_AUTH is off: allowed everything, recorded under this name."""


def cli_caller(os_user: str) -> Caller:
    """The operator CLI works on the database directly: whoever runs it may do anything."""
    return Caller(f"cli:{os_user}", Grant.everything())
