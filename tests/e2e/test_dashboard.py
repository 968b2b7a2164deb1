"""The dashboard at /ui in Debian's headless Chromium against a real api and worker with
API_AUTH=required: log in, find a dead job, replay it and watch it complete, bulk-replay
after the dry run's count, pause and resume a queue, a read key that cannot act, every
page free of serious accessibility faults, and nothing loaded from another origin."""

import asyncio
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Dialog, Page, async_playwright, expect

from taskforge_app.authenticate import SESSION_LOOKUP_TTL
from taskforge_entrypoints.ui.session_cookie import SessionSigner
from tests.conftest import PROJECT_ROOT, Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import Stack, running_stack, stack_environment, taskforge
from tests.e2e.test_access import create_key, secret_of
from tests.e2e.test_docs_page import OFFLINE_CHROMIUM, chromium

WAIT_MS = 20_000
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# `make screenshots` sets it, to refresh the README's pictures; otherwise they go to a
# temporary directory, so a test run leaves the tree as it was.
SCREENSHOTS = os.environ.get("TASKFORGE_SCREENSHOTS")
PAGES = {
    "overview": "/ui",
    "jobs": "/ui/jobs",
    "job": "/ui/jobs/{job_id}",
    "dead-letters": "/ui/dead-letters",
    "queues": "/ui/queues",
    "schedules": "/ui/schedules",
    "limits": "/ui/limits",
    "workers": "/ui/workers",
    "audit": "/ui/audit",
    "login": "/ui/login",
}
# Dies on its first attempt when given one attempt; a replay's next attempt succeeds.
ADDS = {"job_type": "add", "payload": {"numbers": [1, 2]}}
WAITING = {"job_type": "ping", "payload": {"message": "waits in a paused queue"}}
DIES_ONCE = {"job_type": "flaky", "max_attempts": 1, "payload": {"order": 7, "password": "pw"}}


@pytest_asyncio.fixture(scope="module")
async def ui_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(
        test_services,
        "ui-worker",
        FAST_RETRIES
        | {
            "API_AUTH": "required",
            "UI_MASK_PAYLOAD_KEYS": "password",
            "UI_SESSION_SECRET": secrets.token_urlsafe(32),
        },
    )


@pytest.fixture(scope="module")
def ui_stack(ui_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(ui_env) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(ui_stack: Stack) -> dict[str, str]:
    env = ui_stack.env
    return {
        "operator": create_key(env, "ui-operator", "--scopes", "read,operate"),
        "reader": create_key(env, "ui-reader", "--scopes", "read"),
        "admin": create_key(env, "ui-admin", "--scopes", "admin"),
    }


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium(), args=OFFLINE_CHROMIUM, timeout=WAIT_MS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(WAIT_MS)
    try:
        yield opened
    finally:
        await opened.close()


async def api(stack: Stack, token: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        answer = await http.request(method, path, headers=headers, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json()


async def dead_job(stack: Stack, token: str) -> str:
    job = await api(stack, token, "POST", "/v1/jobs", json=DIES_ONCE)
    waited = await api(stack, token, "GET", f"/v1/jobs/{job['id']}?wait=20")
    assert waited["status"] == "dead", waited
    return str(job["id"])


async def log_in(context: BrowserContext, stack: Stack, token: str) -> Page:
    page = await context.new_page()
    page.on("dialog", accept)
    await page.goto(f"{stack.base_url}/ui/queues")
    assert urlsplit(page.url).path == "/ui/login"
    await page.get_by_label("API key").fill(token)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{stack.base_url}/ui/queues")
    return page


async def accept(dialog: Dialog) -> None:
    await dialog.accept()


async def test_an_operator_finds_a_dead_job_replays_it_and_watches_it_complete(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    job_id = await dead_job(ui_stack, tokens["admin"])
    page = await log_in(context, ui_stack, tokens["operator"])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    await page.get_by_role("link", name="Jobs", exact=True).click()
    await page.get_by_label("Status").select_option("dead")
    await page.get_by_label("Job type").fill("flaky")
    await page.get_by_label("Error contains").fill("first attempts")
    await page.get_by_label("Payload path = value").fill("order=7")
    await expect(page.locator("#jobs-estimate")).to_contain_text("an estimate")
    await page.get_by_role("button", name="Search").click()
    await page.locator(f"a[href='/ui/jobs/{job_id}']").click()

    payload = json.loads(await page.locator("pre.json").first.inner_text())
    assert payload == {"order": 7, "password": "••••••"}
    await expect(page.locator("#job-status")).to_have_text("dead")
    await page.get_by_role("button", name="Replay").click()
    await expect(page.get_by_role("status")).to_contain_text("Job replayed")
    # The page reloads itself when the change feed says the job changed.
    await expect(page.locator("#job-status")).to_have_text("completed")
    assert await page.get_by_text("Attempt 2: completed").count() == 1

    # The API heard the replayed attempt complete, and the first one fail.
    await page.get_by_role("link", name="Overview").click()
    last_15_min = page.locator("#outcomes tbody tr").nth(2).locator("td")
    assert int(await last_15_min.nth(0).inner_text()) >= 1
    assert int(await last_15_min.nth(2).inner_text()) >= 1
    # And per queue: the job's queue finished attempts, one of them failed.
    normal = page.locator("#queue-outcomes tr", has=page.get_by_role("rowheader", name="normal"))
    completed_per_minute, failed_per_minute, failure_rate = [
        await normal.locator("td").nth(index).inner_text() for index in range(3)
    ]
    assert float(completed_per_minute) > 0
    assert float(failed_per_minute) > 0
    assert failure_rate.endswith("%")
    assert await normal.locator("svg.spark rect.failed").count() > 0

    assert {urlsplit(url).hostname for url in requested} == {"127.0.0.1"}
    audit = await api(ui_stack, tokens["admin"], "GET", f"/v1/audit?job_id={job_id}")
    assert [(e["actor"], e["action"]) for e in audit["entries"]] == [("ui-operator", "job.replay")]


async def test_an_operator_bulk_replays_after_the_dry_run_count(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    for _ in range(3):
        await dead_job(ui_stack, tokens["admin"])
    dead = await api(ui_stack, tokens["admin"], "GET", "/v1/jobs?status=dead&job_type=flaky")
    expected = len(dead["jobs"])
    page = await log_in(context, ui_stack, tokens["operator"])

    await page.get_by_role("link", name="Dead letters").click()
    await page.get_by_role("textbox", name="Job type").fill("flaky")
    await page.get_by_label("Per second").fill("50")
    await page.get_by_role("button", name="Count the jobs this would replay").click()
    await expect(page.locator("#replay-count")).to_contain_text(f"{expected} dead jobs")
    still = await api(ui_stack, tokens["admin"], "GET", "/v1/jobs?status=dead&job_type=flaky")
    assert len(still["jobs"]) == expected, "the count replayed something"

    await page.get_by_role("button", name=f"Replay {expected} jobs").click()
    await expect(page.locator("#replay-outcome")).to_have_text(
        f"Replayed {expected} of {expected} matching dead jobs."
    )
    audit = await api(ui_stack, tokens["admin"], "GET", "/v1/audit?action=job.replay_bulk")
    entry = audit["entries"][0]
    assert entry["actor"] == "ui-operator"
    assert len(entry["job_ids"]) == expected


async def test_dead_letters_are_grouped_and_a_group_counts_its_replay_first(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    for _ in range(2):
        await dead_job(ui_stack, tokens["admin"])
    dead = await api(ui_stack, tokens["admin"], "GET", "/v1/jobs?status=dead&job_type=flaky")
    expected = len(dead["jobs"])
    page = await log_in(context, ui_stack, tokens["operator"])

    await page.get_by_role("link", name="Dead letters").click()
    by_type = page.locator("section[aria-labelledby=by-type] tbody tr", has_text="flaky")
    await expect(by_type.locator("td").first).to_have_text(str(expected))
    await by_type.get_by_role("button", name="Count to replay").click()

    await expect(page.locator("#replay-count")).to_contain_text(f"{expected} dead jobs")
    still = await api(ui_stack, tokens["admin"], "GET", "/v1/jobs?status=dead&job_type=flaky")
    assert len(still["jobs"]) == expected, "the count replayed something"


async def test_an_operator_cancels_ticked_jobs_after_seeing_how_many_it_applies_to(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    admin = tokens["admin"]
    done = await api(ui_stack, admin, "POST", "/v1/jobs", json=ADDS)
    assert (await api(ui_stack, admin, "GET", f"/v1/jobs/{done['id']}?wait=20"))["status"] == (
        "completed"
    )
    waiting = await api(ui_stack, admin, "POST", "/v1/jobs", json=ADDS | {"delay_seconds": 3600})
    page = await log_in(context, ui_stack, tokens["operator"])

    await page.goto(f"{ui_stack.base_url}/ui/jobs?job_type=add")
    for box in await page.get_by_role("checkbox").all():
        await box.check()
    await page.get_by_role("button", name="Cancel the ticked jobs…").click()
    await expect(page.locator("#selection-count")).to_contain_text("1 of the 2 selected jobs")
    assert (await api(ui_stack, admin, "GET", f"/v1/jobs/{waiting['id']}"))["status"] == (
        "scheduled"
    )
    await page.get_by_role("button", name="Cancel 1 job").click()

    await expect(page.locator("#selection-outcome")).to_have_text("1 job cancelled.")
    assert (await api(ui_stack, admin, "GET", f"/v1/jobs/{waiting['id']}"))["status"] == (
        "cancelled"
    )
    audit = await api(ui_stack, admin, "GET", f"/v1/audit?job_id={waiting['id']}")
    assert [(e["actor"], e["action"]) for e in audit["entries"]] == [("ui-operator", "job.cancel")]


async def test_an_operator_cancels_all_matching_jobs_after_their_count(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    admin = tokens["admin"]
    batch = uuid.uuid4().hex
    later = ADDS | {"delay_seconds": 3600, "payload": {"batch": batch}}
    waiting = [(await api(ui_stack, admin, "POST", "/v1/jobs", json=later))["id"] for _ in "ab"]
    page = await log_in(context, ui_stack, tokens["operator"])

    await page.goto(f"{ui_stack.base_url}/ui/jobs?status=scheduled&payload_equals=batch%3D{batch}")
    await page.get_by_role("button", name="Cancel all matching jobs…").click()
    await expect(page.locator("#cancel-count")).to_contain_text("2 jobs would be cancelled")
    for job_id in waiting:
        job = await api(ui_stack, admin, "GET", f"/v1/jobs/{job_id}")
        assert job["status"] == "scheduled", "the count cancelled something"

    await page.get_by_role("button", name="Cancel 2 jobs").click()
    await expect(page.locator("#cancel-outcome")).to_have_text("2 jobs cancelled.")
    for job_id in waiting:
        assert (await api(ui_stack, admin, "GET", f"/v1/jobs/{job_id}"))["status"] == "cancelled"
    audit = await api(ui_stack, admin, "GET", "/v1/audit?action=job.cancel")
    assert {e["job_ids"][0] for e in audit["entries"] if e["actor"] == "ui-operator"} >= set(
        waiting
    )


async def test_an_operator_pauses_and_resumes_a_queue(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["operator"])
    row = page.locator("#queue-low")

    await row.get_by_role("button", name="Pause low").click()
    await expect(page.get_by_role("status")).to_have_text("Queue paused.")
    await expect(row.locator(".badge")).to_have_text("paused")
    queues = await api(ui_stack, tokens["admin"], "GET", "/v1/queues")
    low = next(q for q in queues["queues"] if q["queue"] == "low")
    assert (low["paused"], low["paused_by"]) == (True, "ui-operator")

    await row.get_by_role("button", name="Resume low").click()
    await expect(page.get_by_role("status")).to_have_text("Queue resumed.")
    await expect(row.locator(".badge")).to_have_text("running")
    audit = await api(ui_stack, tokens["admin"], "GET", "/v1/audit?actor=ui-operator")
    actions = [e["action"] for e in audit["entries"]]
    assert actions[:2] == ["queue.resume", "queue.pause"]


async def test_a_read_key_sees_no_action_and_the_server_refuses_one(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    job_id = await dead_job(ui_stack, tokens["admin"])
    page = await log_in(context, ui_stack, tokens["reader"])
    assert await page.locator("main button").count() == 0
    await page.goto(f"{ui_stack.base_url}/ui/jobs/{job_id}")
    assert await page.locator("main button").count() == 0
    await page.goto(f"{ui_stack.base_url}/ui/dead-letters")
    assert await page.locator("main button").count() == 0

    token = await page.locator("header input[name=csrf_token]").get_attribute("value")
    assert token
    refused = await page.request.post(
        f"{ui_stack.base_url}/ui/queues/low/pause", form={"csrf_token": token}
    )
    replay = await page.request.post(
        f"{ui_stack.base_url}/ui/jobs/{job_id}/replay", form={"csrf_token": token}
    )

    assert refused.status == 403
    assert "this key lacks the operate scope" in await refused.text()
    assert replay.status == 403
    job = await api(ui_stack, tokens["admin"], "GET", f"/v1/jobs/{job_id}")
    assert job["status"] == "dead"


async def test_a_form_without_this_browsers_csrf_token_is_refused(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["operator"])
    forged = await page.request.post(
        f"{ui_stack.base_url}/ui/queues/low/pause", form={"csrf_token": "made-up"}
    )
    missing = await page.request.post(f"{ui_stack.base_url}/ui/queues/low/pause")

    assert (forged.status, missing.status) == (403, 403)
    queues = await api(ui_stack, tokens["admin"], "GET", "/v1/queues")
    low = next(q for q in queues["queues"] if q["queue"] == "low")
    assert low["paused"] is False


async def test_the_session_cookie_holds_no_secret_and_ends_with_logout_or_revocation(
    ui_stack: Stack, context: BrowserContext
) -> None:
    token = create_key(ui_stack.env, "ui-short-lived", "--scopes", "read")
    page = await log_in(context, ui_stack, token)
    cookies = {c["name"]: c for c in await context.cookies()}
    session = cookies["taskforge_session"]
    assert (session["httpOnly"], session["sameSite"]) == (True, "Strict")
    assert session["expires"] > 0
    assert secret_of(token) not in session["value"]
    assert cookies["taskforge_csrf"]["httpOnly"]

    assert taskforge("keys", "revoke", "ui-short-lived", env=ui_stack.env).returncode == 0
    revoked = time.monotonic()
    # Each API process reads a session's key at most once per SESSION_LOOKUP_TTL.
    await page.goto(f"{ui_stack.base_url}/ui/workers")
    while urlsplit(page.url).path != "/ui/login":
        waited = time.monotonic() - revoked
        assert waited < SESSION_LOOKUP_TTL.total_seconds() + 1, "the session outlived its key"
        await asyncio.sleep(0.2)
        await page.goto(f"{ui_stack.base_url}/ui/workers")
    await expect(page.get_by_text("the session's API key is revoked")).to_be_visible()


async def test_logging_out_ends_the_session(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["reader"])
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(f"{ui_stack.base_url}/ui/login")
    await page.goto(f"{ui_stack.base_url}/ui/queues")
    assert urlsplit(page.url).path == "/ui/login"


async def test_a_wrong_key_is_told_on_the_login_page(
    ui_stack: Stack, context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto(f"{ui_stack.base_url}/ui/login")
    await page.get_by_label("API key").fill(f"tfk_{'0' * 16}_{'A' * 43}")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_have_text("the API key is not known")


async def test_every_page_has_no_serious_accessibility_fault_under_its_policy(
    ui_stack: Stack, tokens: dict[str, str], browser: Browser, tmp_path: Path
) -> None:
    """axe-core runs inside each page; the test's own context lets the test inject it,
    and a second visit under the page's own policy counts the refusals it causes."""
    assert AXE.exists(), "axe-core is missing: `make install` fetches it with npm"
    job_id = await dead_job(ui_stack, tokens["admin"])
    # Jobs waiting in a paused queue give the overview and the queues page something to show.
    await api(ui_stack, tokens["admin"], "POST", "/v1/queues/low/pause")
    for _ in range(4):
        await api(ui_stack, tokens["admin"], "POST", "/v1/jobs", json=WAITING | {"queue": "low"})
    shots = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    faults: dict[str, list[str]] = {}
    checked = await browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    checked.set_default_timeout(WAIT_MS)
    try:
        page = await log_in(checked, ui_stack, tokens["admin"])
        for name, path in PAGES.items():
            if name == "login":
                await checked.clear_cookies()
            await page.goto(ui_stack.base_url + path.format(job_id=job_id))
            await page.add_script_tag(path=str(AXE))
            found = await page.evaluate(
                "async () => (await axe.run()).violations"
                ".filter(v => ['serious', 'critical'].includes(v.impact))"
                ".map(v => `${v.id}: ${v.nodes.map(n => n.target).join(' ')}`)"
            )
            if found:
                faults[name] = found
            await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        page = await log_in(checked, ui_stack, tokens["admin"])
        await page.goto(f"{ui_stack.base_url}/ui")
        # A second reading of the queues, so the chart has a line to draw.
        await expect(page.locator("#depth-chart")).to_be_visible(timeout=15_000)
        await page.screenshot(path=str(shots / "overview.png"), full_page=True)
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.screenshot(path=str(shots / "overview-phone.png"), full_page=True)
    finally:
        await checked.close()
        await api(ui_stack, tokens["admin"], "POST", "/v1/queues/low/resume")
    assert faults == {}


async def test_pages_need_nothing_their_policy_refuses(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["admin"])
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    for path in ("/ui", "/ui/jobs", "/ui/dead-letters", "/ui/queues", "/ui/audit"):
        answer = await page.goto(ui_stack.base_url + path)
        assert answer is not None, path
        assert answer.status == 200, path
        policy = answer.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "http" not in policy, "the policy names another origin"
    assert violations == []
    lost = await page.goto(f"{ui_stack.base_url}/ui/no-such-page")
    assert lost is not None
    assert lost.status == 404
    assert "default-src 'self'" in lost.headers["content-security-policy"]
    style = await page.request.get(f"{ui_stack.base_url}/ui/static/ui.css")
    assert style.status == 200


async def test_every_page_sends_a_browser_without_a_session_to_log_in(
    ui_stack: Stack, tokens: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=ui_stack.base_url, timeout=10) as http:
        for name, path in PAGES.items():
            if name == "login":
                continue
            answer = await http.get(path.format(job_id=uuid.uuid4()))
            assert answer.status_code == 303, f"{path}: {answer.status_code}"
            assert answer.headers["location"].startswith("/ui/login?next_page="), path
            assert "default-src 'self'" in answer.headers["content-security-policy"], path
        # A bearer key is no session: the dashboard's pages take the cookie only.
        bearer = {"Authorization": f"Bearer {tokens['admin']}"}
        assert (await http.get("/ui", headers=bearer)).status_code == 303
        refused = await http.post("/ui/queues/low/pause", headers=bearer)
        assert refused.status_code == 303


async def test_the_audit_page_needs_the_admin_scope(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["operator"])
    assert await page.get_by_role("link", name="Audit").count() == 0
    answer = await page.goto(f"{ui_stack.base_url}/ui/audit")
    assert answer is not None
    assert answer.status == 403
    await expect(page.get_by_role("alert")).to_have_text("this key lacks the admin scope")


async def test_with_api_auth_off_the_dashboard_opens_without_a_login(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        overview = await http.get("/ui")
        unguarded = await http.post("/ui/queues/low/pause")

    assert overview.status_code == 200
    assert "anonymous" in overview.text
    assert "Log out" not in overview.text
    assert unguarded.status_code == 403, "a form without its CSRF token must be refused"


@dataclass(frozen=True)
class UiEndpoint:
    method: str
    path: str
    scope: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def ui_endpoints(job_id: str) -> list[UiEndpoint]:
    """Every route of the dashboard but the login page, with the scope REST asks for the
    same thing; actions on things that do not exist, so that none changes another test."""
    unknown = uuid.uuid4()
    reads = [
        "/ui",
        "/ui/overview/live",
        "/ui/jobs",
        f"/ui/jobs/{job_id}",
        # A revision below any: answered at once, without waiting for a change.
        f"/ui/jobs/{job_id}/changes?after=-1",
        "/ui/dead-letters",
        "/ui/queues",
        "/ui/schedules",
        "/ui/limits",
        "/ui/workers",
    ]
    operations = [
        f"/ui/jobs/{unknown}/cancel",
        f"/ui/jobs/{unknown}/replay",
        "/ui/jobs/selected",
        "/ui/jobs/cancel-matching",
        "/ui/dead-letters/replay",
        "/ui/queues/no-such-queue/pause",
        "/ui/queues/no-such-queue/resume",
        "/ui/schedules/no-such-schedule/pause",
        "/ui/schedules/no-such-schedule/resume",
        "/ui/schedules/no-such-schedule/trigger",
    ]
    return [
        *(UiEndpoint("GET", path, "read") for path in reads),
        UiEndpoint("GET", "/ui/audit", "admin"),
        *(UiEndpoint("POST", path, "operate") for path in operations),
        UiEndpoint("POST", "/ui/logout", "read"),
        # No job type: refused as an invalid limit, after the scope.
        UiEndpoint("POST", "/ui/limits/", "admin"),
        UiEndpoint("POST", "/ui/limits/no-such-type/remove", "admin"),
        # An empty form: refused on the form, after the scope.
        UiEndpoint("POST", "/ui/schedules/", "admin"),
        UiEndpoint("POST", "/ui/schedules/no-such-schedule/delete", "admin"),
    ]


_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@asynccontextmanager
async def ui_session(stack: Stack, token: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client logged in to the dashboard as a browser is, and its forms' CSRF token."""
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        form = await http.get("/ui/login")
        match = _FORM_TOKEN.search(form.text)
        assert match, form.text
        csrf = match[1]
        login = await http.post(
            "/ui/login", data={"api_key": token, "csrf_token": csrf, "next_page": "/ui"}
        )
        assert login.status_code == 303, login.text
        assert "taskforge_session" in http.cookies
        # The login gave a new CSRF cookie, and the token is bound to the session: made
        # here as the API makes it, since a key without the read scope sees no page.
        signer = SessionSigner(stack.env["UI_SESSION_SECRET"])
        session = signer.session_of(http.cookies["taskforge_session"], datetime.now(UTC))
        fresh = signer.csrf_token(http.cookies["taskforge_csrf"], session)
        assert session is not None
        assert fresh != csrf
        yield http, fresh


async def test_each_scope_opens_its_dashboard_routes_and_no_other(
    ui_stack: Stack, tokens: dict[str, str]
) -> None:
    """The access matrix of the REST API, for the dashboard's session cookie."""
    job_id = (await api(ui_stack, tokens["admin"], "POST", "/v1/jobs", json=ADDS))["id"]
    # Every dashboard key has read: the login refuses one without it.
    keys = {
        "read": ({"read"}, tokens["reader"]),
        "operate": ({"read", "operate"}, tokens["operator"]),
        "admin": ({"read", "operate", "admin"}, tokens["admin"]),
    }
    for scope, (scopes, token) in keys.items():
        for endpoint in ui_endpoints(job_id):
            async with ui_session(ui_stack, token) as (http, csrf):
                data = {"csrf_token": csrf} if endpoint.method == "POST" else None
                answer = await http.request(endpoint.method, endpoint.path, data=data)
            what = f"{endpoint} with a {scope} key: {answer.status_code}"
            if endpoint.scope in scopes:
                assert answer.status_code not in (401, 403), what
                assert answer.status_code < 500, what
                # Only logging out may lead back to the login page.
                if endpoint.path != "/ui/logout":
                    assert "/ui/login" not in answer.headers.get("location", ""), what
            else:
                assert answer.status_code == 403, what
                assert f"this key lacks the {endpoint.scope} scope" in answer.text, what


async def test_a_key_without_the_read_scope_is_refused_at_login(ui_stack: Stack) -> None:
    token = create_key(ui_stack.env, "ui-operate-only", "--scopes", "operate")
    async with httpx.AsyncClient(base_url=ui_stack.base_url, timeout=10) as http:
        form = await http.get("/ui/login")
        match = _FORM_TOKEN.search(form.text)
        assert match, form.text
        login = await http.post(
            "/ui/login", data={"api_key": token, "csrf_token": match[1], "next_page": "/ui"}
        )

    assert login.status_code == 403, login.text
    assert "this key lacks the read scope" in login.text
    assert "taskforge_session" not in http.cookies
    assert token not in login.text


async def test_a_replay_filter_the_api_would_refuse_is_named_and_nothing_is_replayed(
    ui_stack: Stack, tokens: dict[str, str]
) -> None:
    async with ui_session(ui_stack, tokens["operator"]) as (http, csrf):
        answer = await http.post(
            "/ui/dead-letters/replay",
            data={
                "csrf_token": csrf,
                "job_type": "no spaces",
                "error": "x" * 201,
                "confirm": "yes",
            },
        )
    assert answer.status_code == 422
    assert "is not a job type&#39;s name" in answer.text
    assert "longer than 200 characters" in answer.text
    assert "Replayed" not in answer.text


async def test_a_key_limited_to_a_queue_sees_only_that_queue(
    ui_stack: Stack, context: BrowserContext
) -> None:
    token = create_key(ui_stack.env, "ui-high-reader", "--scopes", "read", "--queues", "high")
    page = await log_in(context, ui_stack, token)
    assert await page.locator("tbody th").all_inner_texts() == ["high"]

    await page.goto(f"{ui_stack.base_url}/ui")
    assert await page.locator("#queues-heading + .scroll tbody th").all_inner_texts() == ["high"]
    # The finished attempts are counted per queue: this key sees its queue's figures alone.
    await expect(page.locator("#outcomes")).to_be_visible()
    assert await page.locator("#queue-outcomes tbody th").all_inner_texts() == ["high"]
    refused = await page.goto(f"{ui_stack.base_url}/ui/jobs?queue=low")
    assert refused is not None
    assert refused.status == 403


async def test_the_keyboard_reaches_the_content_first(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["operator"])
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    await expect(skip).to_be_focused()
    await page.keyboard.press("Enter")
    assert urlsplit(page.url).fragment == "main"
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.closest('main') !== null")
    assert focused, "the next Tab after the skip link lands in the page's content"


async def test_an_admin_sets_and_removes_a_limit(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["admin"])
    await page.goto(f"{ui_stack.base_url}/ui/limits")
    form = page.locator("form", has=page.get_by_role("button", name="Set the limit"))
    await form.get_by_label("Job type").fill("ui-limited")
    await form.get_by_label("At most running at once").fill("2")
    await form.get_by_label("Starts").fill("10")
    await form.get_by_label("Per").select_option("minute")
    await form.get_by_role("button", name="Set the limit").click()

    await expect(page.get_by_role("status")).to_have_text("Limit set.")
    limits = await api(ui_stack, tokens["admin"], "GET", "/v1/limits")
    mine = next(item for item in limits["limits"] if item["job_type"] == "ui-limited")
    assert (mine["concurrency"], mine["rate"]) == (2, {"starts": 10, "per": "minute"}), mine

    await page.get_by_role("button", name="Remove ui-limited").click()
    await expect(page.get_by_role("status")).to_have_text("Limit removed.")
    limits = await api(ui_stack, tokens["admin"], "GET", "/v1/limits")
    assert all(item["job_type"] != "ui-limited" for item in limits["limits"])
    audit = await api(ui_stack, tokens["admin"], "GET", "/v1/audit?actor=ui-admin")
    assert [e["action"] for e in audit["entries"]][:2] == ["limit.delete", "limit.set"]

    await page.goto(f"{ui_stack.base_url}/ui/audit")
    await page.get_by_label("What (action)").fill("limit.set")
    await page.get_by_role("button", name="Filter").click()
    shown = await page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert shown == ["limit.set"], shown


async def test_an_operator_pauses_fires_and_resumes_a_schedule(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    schedule = {"name": "ui-hourly", "every": "1h", "job_type": "add", "payload": {"numbers": [1]}}
    await api(ui_stack, tokens["admin"], "POST", "/v1/schedules", json=schedule)
    page = await log_in(context, ui_stack, tokens["operator"])
    await page.goto(f"{ui_stack.base_url}/ui/schedules")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="ui-hourly"))
    await expect(row).to_contain_text("every 1h")

    await row.get_by_role("button", name="Pause").click()
    await expect(page.get_by_role("status")).to_have_text("Schedule paused.")
    await expect(row.locator(".badge")).to_have_text("paused")
    await row.get_by_role("button", name="Fire now").click()
    await expect(page.get_by_role("status")).to_contain_text("Schedule fired")
    await row.get_by_role("button", name="Resume").click()
    await expect(row.locator(".badge")).to_have_text("active")
    await expect(row.get_by_role("link")).to_be_visible()

    audit = await api(ui_stack, tokens["admin"], "GET", "/v1/audit?actor=ui-operator")
    actions = [e["action"] for e in audit["entries"]][:3]
    assert actions == ["schedule.resume", "schedule.trigger", "schedule.pause"], actions


async def test_an_admin_creates_a_schedule_after_a_refused_form_then_deletes_it(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    page = await log_in(context, ui_stack, tokens["admin"])
    await page.goto(f"{ui_stack.base_url}/ui/schedules")
    form = page.locator("form", has=page.get_by_role("button", name="Create the schedule"))
    await form.get_by_label("Name").fill("ui-made")
    await form.get_by_label("Cron").fill("*/10 * * * *")
    await form.get_by_label("Or every").fill("1h")
    await form.get_by_label("Time zone").fill("Europe/Paris")
    await form.get_by_label("Job type").fill("add")
    await form.get_by_label("Queue").select_option("high")
    await form.get_by_label("Max attempts").fill("4")
    await form.get_by_label("Catch up").select_option("all")
    await form.get_by_label("Overlap").select_option("skip")
    await form.get_by_label("Payload (JSON)").fill('{"numbers": [1, 2]}')
    await form.get_by_role("button", name="Create the schedule").click()

    # Both cadences: refused on the form, which keeps what was typed.
    await expect(page.locator("#schedule-form-error")).to_contain_text("exactly one")
    await expect(form.get_by_label("Payload (JSON)")).to_have_value('{"numbers": [1, 2]}')
    await expect(form.get_by_label("Queue")).to_have_value("high")
    await form.get_by_label("Or every").fill("")
    await form.get_by_role("button", name="Create the schedule").click()

    await expect(page.get_by_role("status")).to_have_text("Schedule created.")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="ui-made"))
    await expect(row).to_contain_text("*/10 * * * *")
    created = await api(ui_stack, tokens["admin"], "GET", "/v1/schedules/ui-made")
    assert {k: created[k] for k in ("cron", "timezone", "job_type", "queue", "payload")} == {
        "cron": "*/10 * * * *",
        "timezone": "Europe/Paris",
        "job_type": "add",
        "queue": "high",
        "payload": {"numbers": [1, 2]},
    }, created
    assert (created["max_attempts"], created["catch_up"], created["overlap"]) == (4, "all", "skip")

    # The same name again: refused on the form, nothing replaced.
    await form.get_by_label("Name").fill("ui-made")
    await form.get_by_label("Or every").fill("5m")
    await form.get_by_label("Job type").fill("add")
    await form.get_by_role("button", name="Create the schedule").click()
    await expect(page.locator("#schedule-form-error")).to_contain_text("exists")

    confirmations: list[str] = []
    page.on("dialog", lambda dialog: confirmations.append(dialog.message))
    await row.get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("status")).to_have_text("Schedule deleted.")
    assert [m.split("?")[0] for m in confirmations] == ["Delete schedule ui-made"], confirmations
    await expect(page.get_by_role("rowheader", name="ui-made")).to_have_count(0)
    audit = await api(ui_stack, tokens["admin"], "GET", "/v1/audit?actor=ui-admin")
    assert [e["action"] for e in audit["entries"]][:2] == ["schedule.delete", "schedule.create"]


async def test_an_operator_sees_no_schedule_form_nor_delete(
    ui_stack: Stack, tokens: dict[str, str], context: BrowserContext
) -> None:
    schedule = {"name": "ui-kept", "every": "1h", "job_type": "add"}
    await api(ui_stack, tokens["admin"], "POST", "/v1/schedules", json=schedule)
    page = await log_in(context, ui_stack, tokens["operator"])
    await page.goto(f"{ui_stack.base_url}/ui/schedules")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="ui-kept"))
    await expect(row.get_by_role("button", name="Pause")).to_be_visible()
    assert await row.get_by_role("button", name="Delete").count() == 0
    assert await page.get_by_role("button", name="Create the schedule").count() == 0
