from collections.abc import Mapping
from dataclasses import dataclass

from taskforge_app.ports import Probe


@dataclass(frozen=True, slots=True)
class Readiness:
    failures: dict[str, str]

    @property
    def ready(self) -> bool:
        return not self.failures


class CheckReadiness:
    """Ask each backing service whether it answers; name the ones that do not."""

    def __init__(self, probes: Mapping[str, Probe]) -> None:
        self._probes = dict(probes)

    async def __call__(self) -> Readiness:
        failures: dict[str, str] = {}
        for name, probe in self._probes.items():
            try:
                await probe.ping()
            except Exception as exc:
                failures[name] = str(exc) or type(exc).__name__
        return Readiness(failures)
