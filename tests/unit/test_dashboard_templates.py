"""The dashboard's templates: what each page puts in its <title>, which the browser shows
in its tab and history and must never carry a form or its CSRF token."""

import re

import pytest
from jinja2 import Environment
from litestar.plugins.jinja import JinjaTemplateEngine

from taskforge_domain.job_type_limit import RatePeriod
from taskforge_entrypoints.ui import dashboard
from taskforge_entrypoints.ui.notices import (
    LOGIN_REASONS,
    NOTICES,
    LoginReason,
    Notice,
    login_reason_text,
    notice_text,
)

TEMPLATES = dashboard.HERE / "templates"
# Fragments (a live readout, table rows) have no title of their own.
PAGES = sorted(
    p.name for p in TEMPLATES.glob("*.html.j2") if p.read_text().startswith("{% extends")
)
_TITLE_BLOCK = re.compile(r"\{% block title %\}(.*?)\{% endblock %\}", re.DOTALL)
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
TOKEN = "csrf-token-of-this-browser"


def environment() -> Environment:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    dashboard._add_filters(engine)
    return engine.engine


@pytest.mark.parametrize("name", PAGES)
def test_each_pages_title_block_is_text_only(name: str) -> None:
    text = (TEMPLATES / name).read_text()
    blocks = _TITLE_BLOCK.findall(text)

    assert len(blocks) == 1, f"{name} must fill the title block once"
    assert "<" not in blocks[0], blocks[0]
    assert "form_token" not in blocks[0], blocks[0]


def test_the_limits_page_of_an_admin_keeps_its_form_out_of_the_title() -> None:
    html = (
        environment()
        .get_template("limits.html.j2")
        .render(
            can_admin=True,
            form_token=TOKEN,
            limits=[],
            periods=list(RatePeriod),
            path="/ui/limits",
        )
    )
    title = _TITLE.search(html)

    assert title is not None
    assert title[1] == "Limits · Taskforge"
    assert html.count(TOKEN) == 1, "the set-a-limit form is shown once, in the page"


def test_no_template_shows_a_query_parameter_as_it_came() -> None:
    shown = [p.name for p in TEMPLATES.glob("*.j2") if "query_params" in p.read_text()]
    assert shown == []


def test_a_notice_or_login_reason_is_a_fixed_text_picked_by_its_code() -> None:
    assert notice_text(Notice.QUEUE_PAUSED.value) == "Queue paused."
    assert login_reason_text(LoginReason.KEY_REVOKED.value) == (
        "The session's API key is revoked: log in with another key."
    )
    for made_up in ["Your account is locked: call +1 555 0100", "<b>x</b>", "", None]:
        assert notice_text(made_up) is None
        assert login_reason_text(made_up) is None
    assert set(NOTICES) == set(Notice)
    assert set(LOGIN_REASONS) == set(LoginReason)
