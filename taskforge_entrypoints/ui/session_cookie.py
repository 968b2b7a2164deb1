"""The dashboard's signed cookies: a session names an API key by its id (never its secret)
and when it ends; a form's CSRF token is derived from a random cookie of the browser's
and the session it is for, so a page of another site can neither read nor forge it, and
a token is good for one login only."""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

SESSION_COOKIE = "taskforge_session"
CSRF_COOKIE = "taskforge_csrf"
_SESSION = re.compile(r"([0-9a-f]{16})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    expires_at: datetime


class SessionSigner:
    """Signs and checks sessions and CSRF tokens with UI_SESSION_SECRET."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _mac(self, purpose: str, text: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}|{text}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def session_value(self, session: Session) -> str:
        body = f"{session.key_id}.{int(session.expires_at.timestamp())}"
        return f"{body}.{self._mac('session', body)}"

    def session_of(self, value: str | None, now: datetime) -> Session | None:
        """The session a cookie holds, if its signature is ours and it has not expired."""
        match = _SESSION.fullmatch(value or "")
        if match is None:
            return None
        key_id, expires, signature = match.groups()
        expected = self._mac("session", f"{key_id}.{expires}")
        if not hmac.compare_digest(signature, expected):
            return None
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        return Session(key_id, expires_at) if now < expires_at else None

    def csrf_token(self, csrf_cookie: str, session: Session | None) -> str:
        """The token of the forms shown with this cookie in this session (None: before a
        login, or with API_AUTH=off)."""
        bound = "" if session is None else f"{session.key_id}.{int(session.expires_at.timestamp())}"
        return self._mac("csrf", f"{csrf_cookie}|{bound}")

    def csrf_matches(
        self, csrf_cookie: str | None, token: str | None, session: Session | None
    ) -> bool:
        if not csrf_cookie or not token:
            return False
        return hmac.compare_digest(self.csrf_token(csrf_cookie, session), token)


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)
