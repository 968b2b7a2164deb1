"""From a validated request body to the use case's NewJob: the rules msgspec cannot say."""

from datetime import timedelta

from litestar.exceptions import ValidationException

from taskforge_app.submit_jobs import NewJob
from taskforge_domain.callback_url import WEBHOOKS_OFF, CallbackRule, InvalidCallbackUrl
from taskforge_domain.job_limits import IDEMPOTENCY_KEY_PATTERN, JOB_TYPE_PATTERN, matches_whole
from taskforge_entrypoints.rest.errors import InvalidJob
from taskforge_entrypoints.rest.schemas import JobBatchItem, JobCreate
from taskforge_entrypoints.rest.timestamps import in_utc


def new_job(
    fields: JobCreate | JobBatchItem,
    idempotency_key: str | None,
    queues: tuple[str, ...],
    where: str = "",
    callbacks: CallbackRule = WEBHOOKS_OFF,
) -> NewJob:
    if not matches_whole(JOB_TYPE_PATTERN, fields.job_type):
        raise InvalidJob(detail=f"{where}job_type must not end with a line break")
    if idempotency_key is not None and not matches_whole(IDEMPOTENCY_KEY_PATTERN, idempotency_key):
        raise InvalidJob(detail=f"{where}idempotency_key must not end with a line break")
    if fields.queue not in queues:
        raise InvalidJob(detail=f"{where}queue must be one of {', '.join(queues)}")
    if fields.run_at is not None and fields.delay_seconds is not None:
        raise InvalidJob(detail=f"{where}give run_at or delay_seconds, not both")
    delay = None if fields.delay_seconds is None else timedelta(seconds=fields.delay_seconds)
    return NewJob(
        fields.job_type,
        fields.payload,
        idempotency_key,
        fields.max_attempts,
        run_at=None if fields.run_at is None else in_utc(fields.run_at),
        delay=delay,
        queue=fields.queue,
        callback_url=_checked_callback(fields.callback_url, callbacks, where),
    )


def _checked_callback(url: str | None, callbacks: CallbackRule, where: str) -> str | None:
    if url is None:
        return None
    try:
        return callbacks.check(url)
    except InvalidCallbackUrl as exc:
        raise ValidationException(
            detail=f"{where}callback_url: {exc}",
            extra=[{"key": "callback_url", "message": str(exc)}],
        ) from None
