"""Where a browser whose session ended goes back to after logging in again."""

import pytest

from taskforge_entrypoints.ui.next_page import back_after_login, safe_next

API = "http://127.0.0.1:8080"


def test_a_page_comes_back_to_itself_with_its_query() -> None:
    assert back_after_login("GET", f"{API}/ui/jobs?status=dead", None) == "/ui/jobs?status=dead"
    assert back_after_login("GET", f"{API}/ui/queues", None) == "/ui/queues"


def test_a_form_comes_back_to_the_page_it_was_sent_from_not_to_its_action() -> None:
    action = f"{API}/ui/queues/low/pause"

    assert back_after_login("POST", action, f"{API}/ui/queues?x=1") == "/ui/queues?x=1"


@pytest.mark.parametrize(
    "referer",
    [None, "", "https://elsewhere.example/ui/queues", "http://127.0.0.1:9999/ui/queues"],
)
def test_a_form_without_a_page_of_this_origin_comes_back_to_the_overview(
    referer: str | None,
) -> None:
    assert back_after_login("POST", f"{API}/ui/queues/low/pause", referer) == "/ui"


def test_a_referer_of_this_origin_outside_the_dashboard_leads_to_the_overview() -> None:
    assert back_after_login("POST", f"{API}/ui/logout", f"{API}/docs") == "/ui"
    assert safe_next("//elsewhere.example/ui") == "/ui"
