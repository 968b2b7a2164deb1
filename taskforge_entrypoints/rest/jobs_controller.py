import re
from typing import Annotated, Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Controller, HttpMethod, Request, Response, get, post, route
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter

from taskforge_app.admit_submissions import AdmitSubmissions
from taskforge_app.get_job import GetJob
from taskforge_app.get_webhook_deliveries import GetWebhookDeliveries
from taskforge_app.submit_job import SubmitJob
from taskforge_app.wait_for_job import WaitForJob
from taskforge_domain.access import Scope
from taskforge_domain.job_limits import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.job_json import JobOut
from taskforge_entrypoints.presentation.webhook_json import JobWithWebhookOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, InvalidIdempotencyKey, problem_spec
from taskforge_entrypoints.rest.job_requests import new_job
from taskforge_entrypoints.rest.job_waits import WAIT, query_wait
from taskforge_entrypoints.rest.request_bodies import read_json
from taskforge_entrypoints.rest.schemas import JobCreate

AnyRequest = Request[Any, Any, Any]
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)

# The schema states the whole rule; _checked_key applies it, answering 400 with its own code.
IDEMPOTENCY_KEY_HEADER = HeaderParameter(
    name="Idempotency-Key",
    required=False,
    schema_extra={
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    },
)


def _checked_key(key: str | None) -> str | None:
    if key is None:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not _KEY.fullmatch(key):
        raise InvalidIdempotencyKey(
            detail=(
                f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII "
                "characters, not starting or ending with a space"
            )
        )
    return key


_PARAMETER_TYPE = re.compile(r":[a-z]+}")


def answer_options(request: AnyRequest) -> Response[None]:
    """Allow lists every method the path serves, whichever controller declares it (Litestar's
    own OPTIONS answer lists only the methods of the first controller on the path)."""
    template = request.scope["path_template"]
    # The map names a path parameter with its type (`{job_type:str}`), the scope without.
    methods = next(
        methods
        for path, methods in request.app.route_handler_method_map.items()
        if _PARAMETER_TYPE.sub("}", path) == template
    )
    return Response(None, status_code=204, headers={"Allow": ", ".join(sorted(methods))})


class JobsController(Controller):
    path = "/v1/jobs"
    tags = ("jobs",)

    @post(
        "/",
        status_code=202,
        opt=needs(Scope.SUBMIT),
        summary="Submit a job",
        description=(
            "Stores the job and queues it for a worker. Answers 202 with the new job, or 200 "
            "with the first job when the Idempotency-Key was seen before."
        ),
        responses={
            200: ResponseSpec(JobOut, description="Replay of an earlier submission with this key"),
            400: problem_spec("Malformed JSON or Idempotency-Key"),
            413: problem_spec("Body larger than HTTP_MAX_BODY_BYTES"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("Invalid job, or Idempotency-Key reused for a different job"),
            **STORE_DOWN,
        },
    )
    async def submit(
        self,
        request: AnyRequest,
        submit_job: FromDishka[SubmitJob],
        admit: FromDishka[AdmitSubmissions],
        settings: FromDishka[Settings],
        idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY_HEADER] = None,
    ) -> Response[JobOut]:
        data = await read_json(request, JobCreate)
        key = _checked_key(idempotency_key)
        job = new_job(data, key, settings.queues, callbacks=settings.webhooks.rule)
        await admit(caller_of(request), [job.queue], 1)
        submitted = await submit_job(job)
        body = JobOut.of(submitted.job, settings.http_base_url)
        if submitted.created:
            return Response(body, status_code=202, headers={"Location": body.links.self})
        return Response(body, status_code=200, headers={"Idempotent-Replayed": "true"})

    @get(
        "/{job_id:uuid}",
        opt=needs(Scope.READ),
        summary="Get a job",
        description=(
            "With `wait`, a long-poll: answers as soon as the job is completed, dead or "
            "cancelled, or when the wait ends, with the job as it is then."
        ),
        responses={
            404: problem_spec("No job with this id"),
            422: problem_spec("wait is not a number of seconds above 0 and at most 60"),
            **STORE_DOWN,
        },
    )
    async def get_job(
        self,
        request: AnyRequest,
        job_id: UUID,
        get_job: FromDishka[GetJob],
        wait_for_job: FromDishka[WaitForJob],
        get_deliveries: FromDishka[GetWebhookDeliveries],
        settings: FromDishka[Settings],
        wait: Annotated[str | None, WAIT] = None,
    ) -> JobWithWebhookOut:
        caller = caller_of(request)
        seconds = query_wait(wait)
        job = await (
            get_job(job_id, caller) if seconds is None else wait_for_job(job_id, seconds, caller)
        )
        deliveries = await get_deliveries(job.id) if job.callback_url is not None else []
        return JobWithWebhookOut.with_deliveries(job, settings.http_base_url, deliveries)

    # Declared on the first controller of /v1/jobs, so Litestar adds no OPTIONS of its own.
    @route("/", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=needs(Scope.READ))
    async def allowed_methods(self, request: AnyRequest) -> Response[None]:
        return answer_options(request)
