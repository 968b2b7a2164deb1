"""What a page says after an action or before a login: a code in the address picks one
of these fixed texts, so a link from elsewhere cannot make the dashboard say anything."""

from enum import StrEnum


class Notice(StrEnum):
    JOB_CANCELLED = "job-cancelled"
    JOB_CANCEL_ASKED = "job-cancel-asked"
    JOB_REPLAYED = "job-replayed"
    QUEUE_PAUSED = "queue-paused"
    QUEUE_WAS_PAUSED = "queue-was-paused"
    QUEUE_RESUMED = "queue-resumed"
    QUEUE_WAS_NOT_PAUSED = "queue-was-not-paused"
    LIMIT_SET = "limit-set"
    LIMIT_REMOVED = "limit-removed"
    SCHEDULE_PAUSED = "schedule-paused"
    SCHEDULE_RESUMED = "schedule-resumed"
    SCHEDULE_FIRED = "schedule-fired"
    SCHEDULE_CREATED = "schedule-created"
    SCHEDULE_DELETED = "schedule-deleted"


NOTICES = {
    Notice.JOB_CANCELLED: "Job cancelled.",
    Notice.JOB_CANCEL_ASKED: "Job asked to cancel: its worker stops it at its next lease renewal.",
    Notice.JOB_REPLAYED: "Job replayed: it is queued again.",
    Notice.QUEUE_PAUSED: "Queue paused.",
    Notice.QUEUE_WAS_PAUSED: "The queue was paused already.",
    Notice.QUEUE_RESUMED: "Queue resumed.",
    Notice.QUEUE_WAS_NOT_PAUSED: "The queue was not paused.",
    Notice.LIMIT_SET: "Limit set.",
    Notice.LIMIT_REMOVED: "Limit removed.",
    Notice.SCHEDULE_PAUSED: "Schedule paused.",
    Notice.SCHEDULE_RESUMED: "Schedule resumed.",
    Notice.SCHEDULE_FIRED: "Schedule fired: its job is on the Jobs page.",
    Notice.SCHEDULE_CREATED: "Schedule created.",
    Notice.SCHEDULE_DELETED: "Schedule deleted.",
}


class LoginReason(StrEnum):
    NO_SESSION = "no-session"
    KEY_UNKNOWN = "key-unknown"
    KEY_REVOKED = "key-revoked"
    KEY_EXPIRED = "key-expired"


LOGIN_REASONS = {
    LoginReason.NO_SESSION: "Log in with an API key.",
    LoginReason.KEY_UNKNOWN: "The session's API key is not known: log in with another key.",
    LoginReason.KEY_REVOKED: "The session's API key is revoked: log in with another key.",
    LoginReason.KEY_EXPIRED: "The session's API key has expired: log in with another key.",
}


def notice_text(code: str | None) -> str | None:
    """The text of a known code; anything else says nothing."""
    known = {notice.value: text for notice, text in NOTICES.items()}
    return known.get(code or "")


def login_reason_text(code: str | None) -> str | None:
    known = {reason.value: text for reason, text in LOGIN_REASONS.items()}
    return known.get(code or "")
