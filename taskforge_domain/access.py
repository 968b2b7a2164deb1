"""Who may do what: the scopes of an API key, the queues it is limited to, and the
decision whether a call is allowed. The REST layer asks; this module decides."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from taskforge_domain.errors import DomainError


class Scope(StrEnum):
    READ = "read"
    """GET jobs, listings, attempts, workers, metrics."""
    SUBMIT = "submit"
    """Create jobs, one or a batch."""
    OPERATE = "operate"
    """Cancel, replay one, replay in bulk."""
    ADMIN = "admin"
    """Keys, the audit trail, and everything the other scopes allow."""


class Forbidden(DomainError):
    """The caller is known but may not do this; the message names what is missing."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"this key lacks {missing}")
        self.missing = missing


def parse_scopes(text: str) -> frozenset[Scope]:
    """Scopes from a comma-separated list, refusing names that are no scope."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"name at least one scope of {', '.join(Scope)}")
    unknown = [name for name in names if name not in Scope.__members__.values()]
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)}; the scopes are {', '.join(Scope)}")
    return frozenset(Scope(name) for name in names)


@dataclass(frozen=True, slots=True)
class Grant:
    """What one key allows: its scopes, and the queues it is limited to (None: all)."""

    scopes: frozenset[Scope]
    queues: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> "Grant":
        return cls(frozenset(Scope), None)

    def permits(self, scope: Scope) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes

    def require(self, scope: Scope) -> None:
        if not self.permits(scope):
            raise Forbidden(f"the {scope} scope")

    def covers(self, queue: str) -> bool:
        return self.queues is None or queue in self.queues

    def require_queues(self, queues: Iterable[str]) -> None:
        if self.queues is None:
            return
        outside = sorted({queue for queue in queues if queue not in self.queues})
        if outside:
            raise Forbidden(f"access to queue {', '.join(outside)}")
