"""CPU seconds a process (and, for a server, its children) has used, read from /proc."""

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces; everything after its ")" is split.
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def own_seconds(pid: int) -> float:
    """User + system CPU of the process itself (utime, stime); 0 once it is gone."""
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_seconds(parent: int) -> float:
    """The process, its live children, and the children it has reaped (cutime, cstime):
    a server such as the postmaster, whose backends come and go during a run."""
    fields = _stat_fields(parent)
    total = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / _TICKS
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat_fields(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(child[1]) == parent:
            total += (int(child[11]) + int(child[12])) / _TICKS
    return total


def run_seconds(pid: int) -> float:
    """CPU time of every thread of the process, from the scheduler's nanosecond count
    (/proc/<pid>/task/*/schedstat): for a process such as redis-server, whose share of
    a run is a few clock ticks, which utime and stime would round away; 0 once it is gone."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return total / 1e9
