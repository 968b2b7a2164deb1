"""BENCHMARKS.md keeps notes written by hand; a run rewrites only its own marked section."""

from pathlib import Path


def write_section(path: Path, section: str, start: str, end: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n\n" + start + "\n" + end + "\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)
