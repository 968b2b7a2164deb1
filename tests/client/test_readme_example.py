"""The README's "From Python" example runs as written against a real API."""

import contextlib
import io

from tests.conftest import PROJECT_ROOT


def readme_example() -> str:
    section = (PROJECT_ROOT / "README.md").read_text().split("## From Python\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_runs(api_url: str) -> None:
    code = readme_example().replace("http://localhost:8080", api_url)
    printed = io.StringIO()

    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})

    lines = printed.getvalue().splitlines()
    assert lines[0] in {"pending", "queued", "running", "completed"}
    assert lines[1] == "5000 new jobs"
