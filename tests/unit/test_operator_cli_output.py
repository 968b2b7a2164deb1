"""What the operator commands print: tables, the progress bar, cursors, JSON and their options."""

import argparse
import io
import os
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import msgspec
import pytest

from taskforge_app.ports import Attempt
from taskforge_domain.job import Job
from taskforge_entrypoints.operator_cli.arguments import add_operator_commands
from taskforge_entrypoints.operator_cli.jobs_commands import replay_job
from taskforge_entrypoints.operator_cli.json_output import print_json
from taskforge_entrypoints.operator_cli.progress import ProgressBar, render_bar
from taskforge_entrypoints.operator_cli.runner import COMMANDS
from taskforge_entrypoints.operator_cli.tables import (
    ERROR_WIDTH,
    job_with_attempts,
    jobs_table,
    one_line,
    render_table,
    truncate,
    when,
)
from taskforge_entrypoints.presentation.job_cursor import decode_cursor, encode_cursor
from taskforge_entrypoints.presentation.job_json import JobOut
from tests.unit.fakes import START

PLUS_TWO = timezone(timedelta(hours=2))


def failed_job(error: str) -> Job:
    job = Job.submit(job_id=uuid4(), job_type="resize", payload={"w": 1}, max_attempts=3, now=START)
    return job.start(START, timedelta(seconds=30), worker="w-1").kill(error, START)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="taskforge")
    add_operator_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_table_columns_line_up_and_lines_have_no_trailing_spaces() -> None:
    table = render_table(["ID", "STATUS", "NOTE"], [["1", "dead", ""], ["22", "queued", "x"]])

    assert table.splitlines() == [
        "ID  STATUS  NOTE",
        "1   dead",
        "22  queued  x",
    ]


def test_long_errors_are_cut_to_one_line_of_the_error_width() -> None:
    error = "RetryableError: upstream\nrefused\t" + "x" * 200

    cut = truncate(error, ERROR_WIDTH)

    assert len(cut) == ERROR_WIDTH
    assert cut.startswith("RetryableError: upstream refused ")
    assert cut.endswith("…")
    assert truncate("short", ERROR_WIDTH) == "short"


def test_control_characters_never_reach_the_terminal() -> None:
    assert one_line("bad\x1b[2Jthing\r\n") == "bad [2Jthing"


def test_times_are_shown_in_utc_to_the_second() -> None:
    assert when(datetime(2026, 3, 1, 14, 5, 6, 999, tzinfo=PLUS_TWO)) == "2026-03-01T12:05:06Z"
    assert when(None) == "-"


def test_jobs_table_shows_attempts_of_max_and_the_error_truncated() -> None:
    job = failed_job("TerminalError: " + "y" * 100)

    header, row = jobs_table([job]).splitlines()

    assert header.split() == [
        "ID", "TYPE", "QUEUE", "STATUS", "ATTEMPT", "CREATED", "LAST", "ERROR"
    ]  # fmt: skip
    assert row.split()[:6] == [
        str(job.id), "resize", "normal", "dead", "1/3", "2026-01-01T12:00:00Z"
    ]  # fmt: skip
    assert row.endswith("…")


def test_job_details_list_the_attempt_history() -> None:
    job = failed_job("TerminalError: no")
    attempt = Attempt(1, "w-1", START, START + timedelta(seconds=1), "dead", "TerminalError: no")

    shown = job_with_attempts(job, [attempt])
    never_ran = job_with_attempts(job, [])

    assert "attempt           1 of 3" in shown
    assert '{"w":1}' in shown
    assert shown.splitlines()[-1].split()[:3] == ["1", "dead", "w-1"]
    assert never_ran.endswith("no finished attempts")


def test_bar_fills_in_proportion_and_shows_the_eta_until_done() -> None:
    assert render_bar(0, 4, width=8) == "[--------]  0/4    0%"
    assert render_bar(1, 4, 3.0, width=8) == "[##------]  1/4   25%  eta 3s"
    assert render_bar(3, 4, 125.0, width=8) == "[######--]  3/4   75%  eta 2m05s"
    assert render_bar(4, 4, 0.0, width=8) == "[########]  4/4  100%"
    assert render_bar(0, 0, width=8) == "[########]  0/0  100%"


def test_progress_bar_redraws_one_line_and_ends_it() -> None:
    stream = io.StringIO()
    ticks = iter([10.0, 11.0, 12.0])
    bar = ProgressBar(stream, "replaying", enabled=True, clock=lambda: next(ticks))

    bar(1, 3)
    bar(2, 3)
    bar.finish()

    first, second = stream.getvalue().split("\r")[1:]
    assert first == f"replaying {render_bar(1, 3)}\x1b[K"
    assert second == f"replaying {render_bar(2, 3, 1.0)}\x1b[K\n"
    assert stream.getvalue().endswith("\n")
    assert (bar.done, bar.total) == (2, 3)


def test_progress_bar_stays_silent_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "replaying")

    bar(1, 2)
    bar.finish()

    assert stream.getvalue() == ""
    assert (bar.done, bar.total) == (1, 2)


def test_cursor_round_trips_and_garbage_is_refused() -> None:
    created_at, job_id = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), uuid4()

    assert decode_cursor(encode_cursor(created_at, job_id)) == (created_at, job_id)
    for garbage in ("nonsense", "", "WyJ4Il0", "é"):
        with pytest.raises(ValueError, match="not a cursor"):
            decode_cursor(garbage)


def test_json_is_the_api_shape_on_one_line_with_rfc3339_utc_timestamps() -> None:
    job = failed_job("boom")
    stream = io.StringIO()

    print_json(JobOut.of(job, "http://tf"), stream)

    document = msgspec.json.decode(stream.getvalue())
    assert stream.getvalue().count("\n") == 1
    assert document["links"]["self"] == f"http://tf/v1/jobs/{job.id}"
    assert document["created_at"] == "2026-01-01T12:00:00Z"
    assert document["status"] == "dead"
    assert document["started_at"] == "2026-01-01T12:00:00Z"


def test_dates_without_an_offset_are_utc_and_with_one_are_converted() -> None:
    naive = parse("jobs", "list", "--created-after", "2026-11-28")
    offset = parse("dlq", "list", "--dead-before", "2026-11-28T10:00:00+02:00")

    assert naive.created_after == datetime(2026, 11, 28, tzinfo=UTC)
    assert offset.dead_before == datetime(2026, 11, 28, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "argv",
    [
        ["jobs", "list", "--created-after", "last tuesday"],
        ["jobs", "list", "--limit", "0"],
        ["jobs", "list", "--cursor", "nonsense"],
        ["jobs", "list", "--status", "sleeping"],
        ["jobs", "show", "not-a-uuid"],
        ["jobs", "replay", str(uuid4()), "--attempts", "101"],
        ["jobs", "retry", str(uuid4()), "--attempts", "0"],
        ["dlq", "replay", "--rate", "0"],
        ["dlq", "follow", "--block-timeout", "2 seconds"],
        ["dlq"],
    ],
)
def test_bad_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(*argv)

    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_jobs_retry_is_the_old_name_of_jobs_replay_and_runs_the_same_command() -> None:
    job_id = uuid4()

    replay = parse("jobs", "replay", str(job_id), "--attempts", "3", "--json")
    retry = parse("jobs", "retry", str(job_id), "--attempts", "3", "--json")

    assert (replay.job_id, replay.attempts, replay.json) == (job_id, 3, True)
    assert (retry.job_id, retry.attempts, retry.json) == (job_id, 3, True)
    assert COMMANDS[("jobs", replay.action)] is replay_job
    assert COMMANDS[("jobs", retry.action)] is replay_job


def test_follow_defaults_expand_the_consumer_name_and_wait_two_seconds() -> None:
    follow = parse("dlq", "follow", "--consumer", "ops-{pid}")

    assert follow.consumer == f"ops-{os.getpid()}"
    assert follow.block_timeout == timedelta(seconds=2)
    assert follow.count is None
    assert parse("dlq", "follow").consumer.startswith("cli-")
