from typing import Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, post
from litestar.exceptions import ValidationException

from taskforge_app.admit_submissions import AdmitSubmissions
from taskforge_app.submit_jobs import NewJob, SubmitJobs, Submitted
from taskforge_domain.access import Scope
from taskforge_domain.job_limits import json_text_holds_nul
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.job_json import JobOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import InvalidJob, problem_body, problem_spec
from taskforge_entrypoints.rest.job_requests import new_job
from taskforge_entrypoints.rest.request_bodies import read_json, strict_convert
from taskforge_entrypoints.rest.schemas import (
    BatchItemResult,
    JobBatchCreate,
    JobBatchItem,
    JobBatchOut,
)


def _checked(index: int, raw: Any, settings: Settings) -> NewJob | BatchItemResult:
    try:
        item = strict_convert(raw, JobBatchItem)
        request = new_job(
            item,
            item.idempotency_key,
            settings.queues,
            where=f"jobs[{index}]: ",
            callbacks=settings.webhooks.rule,
        )
    except msgspec.ValidationError as exc:
        error = problem_body(422, "validation-failed", f"jobs[{index}]: {exc}")
        return BatchItemResult(index=index, status=422, error=error)
    except InvalidJob as exc:
        error = problem_body(422, "validation-failed", exc.detail)
        return BatchItemResult(index=index, status=422, error=error)
    except ValidationException as exc:
        errors = exc.extra if isinstance(exc.extra, list) else None
        error = problem_body(422, "validation-failed", exc.detail, errors=errors)
        return BatchItemResult(index=index, status=422, error=error)
    if json_text_holds_nul(msgspec.json.encode(item.payload)):
        detail = f"jobs[{index}]: payload strings cannot contain the NUL character (\\u0000)"
        error = problem_body(422, "payload-not-storable", detail)
        return BatchItemResult(index=index, status=422, error=error)
    return request


class JobBatchController(Controller):
    path = "/v1/jobs/batch"
    tags = ("jobs",)

    @post(
        "/",
        status_code=200,
        opt=needs(Scope.SUBMIT),
        summary="Submit up to 1000 jobs at once",
        description=(
            "Valid items are stored together in one statement and queued in one pipeline; "
            "each item gets its own answer in `results`, in request order: 202 with the new "
            "job, 200 with the first job of a known idempotency key, or 422 with a problem "
            "document. An invalid item does not stop the others. When the store is "
            "unavailable no item is stored and the whole request answers 503."
        ),
        responses={
            400: problem_spec("Malformed JSON or empty body"),
            413: problem_spec("Body larger than HTTP_MAX_BATCH_BODY_BYTES"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("The body is not an object with 1 to 1000 jobs"),
            503: problem_spec("Job store unavailable; retry after Retry-After seconds"),
        },
    )
    async def submit_batch(
        self,
        request: Request[Any, Any, Any],
        submit_jobs: FromDishka[SubmitJobs],
        admit: FromDishka[AdmitSubmissions],
        settings: FromDishka[Settings],
    ) -> JobBatchOut:
        data = await read_json(request, JobBatchCreate)
        checked = [_checked(index, raw, settings) for index, raw in enumerate(data.jobs)]
        valid = [(i, item) for i, item in enumerate(checked) if isinstance(item, NewJob)]
        await admit(caller_of(request), {item.queue for _, item in valid}, len(valid))
        answers = await submit_jobs([item for _, item in valid])
        results = [item for item in checked if isinstance(item, BatchItemResult)]
        for (index, _), answer in zip(valid, answers, strict=True):
            if isinstance(answer, Submitted):
                job = JobOut.of(answer.job, settings.http_base_url)
                results.append(
                    BatchItemResult(index=index, status=202 if answer.created else 200, job=job)
                )
            else:
                error = problem_body(422, "idempotency-key-reused", f"jobs[{index}]: {answer}")
                results.append(BatchItemResult(index=index, status=422, error=error))
        results.sort(key=lambda result: result.index)
        return JobBatchOut(
            accepted=sum(result.status == 202 for result in results),
            replayed=sum(result.status == 200 for result in results),
            rejected=sum(result.status >= 400 for result in results),
            results=results,
        )
