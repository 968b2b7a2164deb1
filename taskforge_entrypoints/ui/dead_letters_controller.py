"""Dead letters: the most recently dead jobs grouped by job type and by error, and their
bulk replay, counted by a dry run and confirmed before anything changes."""

import math
from datetime import UTC, datetime
from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.response import Template

from taskforge_app.group_dead_jobs import TOP, WINDOW, GroupDeadJobs
from taskforge_app.list_jobs import ListJobs
from taskforge_app.ports import JobQuery, UnsearchableText
from taskforge_app.replay_dead_jobs import ReplayDeadJobs
from taskforge_domain.access import Scope
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.ui.job_filters import ERROR_FILTER_MAX_LENGTH, is_job_type
from taskforge_entrypoints.ui.pages import page
from taskforge_entrypoints.ui.ui_access import ui_caller

AnyRequest = Request[Any, Any, Any]
LATEST = 20
"""The dead jobs listed under the groups."""
MAX_REQUEST_SECONDS = 5
"""As over REST: a paced replay answers within seconds; the rest is the next request."""
MAX_REPLAY = 10_000


class ReplayForm:
    """The filter of a bulk replay. The dry run fixes `dead_before` at its own time and
    the confirmation carries it, so the replay touches the jobs that were counted, not
    jobs that died in between."""

    def __init__(self, form: Any, now: datetime) -> None:
        self.job_type = str(form.get("job_type", "")).strip() or None
        self.error = str(form.get("error", "")).strip() or None
        self.problems: list[str] = []
        self.dead_before = self._moment(str(form.get("dead_before", "")).strip(), now)
        if self.job_type is not None and not is_job_type(self.job_type):
            self.problems.append(f"job type {self.job_type!r} is not a job type's name")
        if self.error is not None and len(self.error) > ERROR_FILTER_MAX_LENGTH:
            self.problems.append(f"error text is longer than {ERROR_FILTER_MAX_LENGTH} characters")
        self.limit = self._number(form.get("limit", "1000"), "limit", 1, MAX_REPLAY) or 1000
        self.rate = self._number(form.get("rate_per_second", ""), "rate", 1, 10_000)

    def _number(self, text: str, name: str, least: int, most: int) -> int | None:
        text = str(text).strip()
        if not text:
            return None
        if not text.isdigit() or not least <= int(text) <= most:
            self.problems.append(f"{name} must be a whole number from {least} to {most}")
            return None
        return int(text)

    def _moment(self, text: str, now: datetime) -> datetime:
        if not text:
            return now
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.problems.append(f"dead before: {text[:40]!r} is not a time with its offset")
            return now
        return moment.astimezone(UTC)

    @property
    def paced_limit(self) -> int:
        if self.rate is None:
            return self.limit
        return min(self.limit, max(1, math.floor(self.rate * MAX_REQUEST_SECONDS)))

    @property
    def dry_run_limit(self) -> int:
        """One more than a replay takes, to tell "exactly N" from "at least N"."""
        return self.paced_limit + 1

    def query(self) -> JobQuery:
        return JobQuery(
            limit=self.paced_limit,
            job_type=self.job_type,
            error_contains=self.error,
            updated_before=self.dead_before,
        )


class DeadLettersController(Controller):
    path = "/ui/dead-letters"
    include_in_schema = False

    @get("/", opt=needs(Scope.READ))
    async def dead_letters(
        self,
        request: AnyRequest,
        list_jobs: FromDishka[ListJobs],
        group_dead_jobs: FromDishka[GroupDeadJobs],
    ) -> Template:
        caller = ui_caller(request)
        dead = await list_jobs(JobQuery(limit=LATEST, status=JobStatus.DEAD), caller)
        groups = await group_dead_jobs(caller)
        return page(
            request,
            "dead_letters.html.j2",
            dead=dead,
            groups=groups,
            window=WINDOW,
            top=TOP,
        )

    @post("/replay", opt=needs(Scope.OPERATE))
    async def replay(
        self, request: AnyRequest, replay_dead_jobs: FromDishka[ReplayDeadJobs]
    ) -> Template:
        form = await request.form()
        replay = ReplayForm(form, datetime.now(UTC))
        confirmed = form.get("confirm") == "yes"
        if replay.problems:
            return page(request, "replay.html.j2", status_code=422, replay=replay, result=None)
        try:
            query = replay.query()
        except UnsearchableText as exc:
            replay.problems.append(str(exc))
            return page(request, "replay.html.j2", status_code=422, replay=replay, result=None)
        result = await replay_dead_jobs(
            query,
            dry_run=not confirmed,
            limit=replay.paced_limit if confirmed else replay.dry_run_limit,
            rate=replay.rate,
            caller=ui_caller(request),
        )
        return page(
            request,
            "replay.html.j2",
            replay=replay,
            result=result,
            done=confirmed,
            counted=min(result.matched, replay.paced_limit),
            capped=result.matched > replay.paced_limit,
        )
