"""How the dashboard reads the Jobs page's filters and writes times and payloads."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.presentation.job_cursor import encode_cursor
from taskforge_entrypoints.ui.formatting import MASK, age, masked, utc
from taskforge_entrypoints.ui.job_filters import job_filters

QUEUES = ("high", "normal", "low")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_every_filter_of_the_jobs_api_reaches_the_query() -> None:
    filters = job_filters(
        {
            "status": "dead",
            "queue": "low",
            "job_type": "report",
            "idempotency_key": "order-7",
            "error": "timeout",
            "created_after": "2026-12-01T09:00",
            "created_before": "2026-12-01T10:00:00Z",
            "updated_after": "2026-12-01T11:00:00+01:00",
            "updated_before": "2026-12-02T00:00:00Z",
            "limit": "100",
        },
        QUEUES,
    )
    query = filters.query
    assert filters.problems == []
    assert (query.status, query.queue, query.job_type) == (JobStatus.DEAD, "low", "report")
    assert (query.idempotency_key, query.error_contains, query.limit) == ("order-7", "timeout", 100)
    assert query.created_after == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert query.updated_after == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_filter_that_cannot_be_used_is_named_and_left_out() -> None:
    filters = job_filters(
        {"status": "lost", "queue": "nowhere", "created_after": "yesterday", "job_type": "ok"},
        QUEUES,
    )
    assert len(filters.problems) == 3
    assert (filters.query.status, filters.query.queue, filters.query.created_after) == (
        None,
        None,
        None,
    )
    assert filters.query.job_type == "ok"


def test_texts_longer_or_odder_than_the_api_takes_are_refused() -> None:
    filters = job_filters({"error": "x" * 201, "job_type": "no spaces allowed"}, QUEUES)
    assert len(filters.problems) == 2
    assert (filters.query.error_contains, filters.query.job_type) == (None, None)


def test_the_next_page_link_keeps_the_filters_and_carries_the_cursor() -> None:
    cursor = encode_cursor(NOW, UUID(int=7))
    filters = job_filters({"status": "dead", "cursor": cursor}, QUEUES)

    assert filters.query.before == (NOW, UUID(int=7))
    assert filters.link(cursor="abc") == "/ui/jobs?status=dead&limit=50&cursor=abc"


def test_a_broken_cursor_starts_again_from_the_first_page() -> None:
    filters = job_filters({"cursor": "not-a-cursor"}, QUEUES)
    assert filters.query.before is None
    assert filters.problems


def test_masked_payload_keys_are_hidden_at_any_depth() -> None:
    payload = {"user": {"password": "pw", "name": "a"}, "items": [{"token": "t"}], "token": 1}
    assert masked(payload, {"password", "token"}) == {
        "user": {"password": MASK, "name": "a"},
        "items": [{"token": MASK}],
        "token": MASK,
    }


def test_times_are_written_in_utc_with_their_age() -> None:
    assert utc(NOW) == "2026-12-01 12:00:00 UTC"
    assert age(NOW - timedelta(seconds=125), NOW) == "2 min 5 s ago"
    assert age(NOW + timedelta(seconds=40), NOW) == "in 40 s"
    assert age(NOW, NOW) == "just now"


def test_the_payload_searches_of_the_jobs_api_reach_the_query() -> None:
    filters = job_filters(
        {"payload_equals": "order=7", "payload_contains": '{"customer": {"id": 42}}'}, QUEUES
    )

    assert filters.problems == []
    assert filters.query.payload_equals is not None
    assert filters.query.payload_equals.path == ("order",)
    assert filters.query.payload_contains == {"customer": {"id": 42}}
    assert "payload_equals=order%3D7" in filters.link()


def test_a_payload_search_that_cannot_be_used_is_named_and_left_out() -> None:
    filters = job_filters({"payload_equals": "no-equals-sign", "payload_contains": "[1"}, QUEUES)

    assert len(filters.problems) == 2
    assert (filters.query.payload_equals, filters.query.payload_contains) == (None, None)
