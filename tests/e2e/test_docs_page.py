"""/docs works offline: a headless Chromium that can resolve no host but loopback renders
the job operations from Taskforge's own Swagger UI build, under a CSP naming no other origin."""

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.testing import AsyncTestClient
from playwright.async_api import ConsoleMessage, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from taskforge_entrypoints.rest.api_docs import SwaggerUiPage, api_docs_router
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import Stack

PINNED_SWAGGER_UI = json.loads((PROJECT_ROOT / "package-lock.json").read_text())["packages"][
    "node_modules/swagger-ui-dist"
]["version"]

# Chromium's own traffic (updates, sync, field trials) stays off, and every host name but
# the loopback address fails to resolve: anything the page fetched from a CDN would break it.
OFFLINE_CHROMIUM = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-gpu",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# A script the test adds runs outside the page's policy, so it can watch the policy refuse.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} refused ${event.blockedURI}`);
});
"""
SOURCES_OF_THIS_ORIGIN = {"'self'", "'none'", "data:"}
PING = {"job_type": "ping", "payload": {"message": "from the docs page"}}
WAIT_MS = 20_000


@dataclass
class DocsVisit:
    """What a browser saw on /docs, and every URL it asked for."""

    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    summaries: list[str] = field(default_factory=list)
    submit_path: str = ""
    tried_status: str = ""
    tried_job: dict[str, object] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def note_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")


def chromium() -> str:
    path = os.environ.get("TASKFORGE_TEST_CHROMIUM") or shutil.which("chromium")
    assert path, "Debian's chromium is not installed: `make test-tools` installs it"
    return path


async def read_the_docs_and_try_a_submit(page: Page, docs_url: str, visit: DocsVisit) -> None:
    response = await page.goto(docs_url, timeout=WAIT_MS)
    assert response is not None
    assert response.status == 200, await response.text()
    visit.headers = await response.all_headers()
    # Swagger UI's JavaScript draws the operations from /docs/openapi.json.
    submit = page.locator(".opblock-post", has_text="Submit a job").first
    await submit.wait_for(timeout=WAIT_MS)
    visit.summaries = await page.locator(".opblock-summary-description").all_inner_texts()
    visit.submit_path = await submit.locator(".opblock-summary-path").inner_text()

    await submit.locator(".opblock-summary").click()
    await submit.get_by_role("button", name="Try it out").click()
    await submit.locator("textarea.body-param__text").fill(json.dumps(PING))
    await submit.get_by_role("button", name="Execute").click()
    answer = submit.locator(".live-responses-table .response").first
    await answer.wait_for(timeout=WAIT_MS)
    visit.tried_status = (await answer.locator(".response-col_status").inner_text()).strip()
    visit.tried_job = json.loads(await answer.locator(".microlight").first.inner_text())
    visit.violations = await page.evaluate("window.cspViolations")


async def visit_docs(base_url: str) -> DocsVisit:
    visit = DocsVisit()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium(), args=OFFLINE_CHROMIUM, timeout=WAIT_MS
        )
        try:
            page = await browser.new_page()
            await page.add_init_script(RECORD_CSP_VIOLATIONS)
            page.on("console", visit.note_console)
            page.on("pageerror", lambda error: visit.errors.append(str(error)))
            page.on("request", lambda request: visit.requested.append(request.url))
            await read_the_docs_and_try_a_submit(page, f"{base_url}/docs", visit)
        except PlaywrightTimeout as timeout:
            raise AssertionError(
                f"{timeout}\nrequested: {visit.requested}\n{visit.errors}"
            ) from None
        finally:
            await browser.close()
    return visit


async def test_docs_page_shows_the_job_operations_with_nothing_but_this_server(
    stack: Stack,
) -> None:
    visit = await visit_docs(stack.base_url)

    policy = dict(
        (directive.split()[0], set(directive.split()[1:]))
        for directive in visit.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == {"'self'"}
    assert set().union(*policy.values()) <= SOURCES_OF_THIS_ORIGIN, policy
    assert visit.submit_path.replace("\u200b", "") == "/v1/jobs"
    assert {"Submit a job", "Get a job", "Cancel a job", "Replay a dead job"} <= set(
        visit.summaries
    )
    assert {urlsplit(url).hostname for url in visit.requested} == {"127.0.0.1"}, visit.requested
    assert f"/docs/assets/swagger-ui-{PINNED_SWAGGER_UI}/swagger-ui-bundle.js" in {
        urlsplit(url).path for url in visit.requested
    }
    # The policy lets the page call the API: its "Try it out" submitted a job.
    assert visit.tried_status == "202"
    assert {"job_type": visit.tried_job["job_type"], "payload": visit.tried_job["payload"]} == PING
    assert visit.violations == [], "the page needs what its policy refuses"
    assert visit.errors == []


async def test_docs_page_says_how_to_install_swagger_ui_when_it_is_missing(
    tmp_path: Path,
) -> None:
    app = Litestar(
        openapi_config=OpenAPIConfig(
            title="Taskforge",
            version="0.1.0",
            openapi_router=api_docs_router("/docs"),
            render_plugins=[SwaggerUiPage(tmp_path / "swagger-ui")],
        )
    )

    async with AsyncTestClient(app) as client:
        page = await client.get("/docs")
        schema = await client.get("/docs/openapi.json")

    assert page.status_code == httpx.codes.OK
    assert "make install" in page.text
    assert str(tmp_path / "swagger-ui") in page.text
    assert "<script" not in page.text
    assert schema.status_code == httpx.codes.OK
