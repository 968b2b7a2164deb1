"""Where the browser goes after logging in: back to the page it was on, never to another
site, and never to an action's address that only a form may send to."""

from urllib.parse import urlsplit

HOME = "/ui"


def safe_next(target: str | None) -> str:
    """Only a dashboard path: a login link must not send the browser to another site."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return HOME


def back_after_login(method: str, url: str, referer: str | None) -> str:
    """The page to return to. A GET comes back to itself; a form's POST (its session ended
    meanwhile) to the page the form was on, when the browser names one of this origin:
    its own address takes only POST, and GETting it after the login would answer 405."""
    asked = urlsplit(url)
    if method == "GET":
        return safe_next(f"{asked.path}?{asked.query}" if asked.query else asked.path)
    came_from = urlsplit(referer or "")
    if (came_from.scheme, came_from.netloc) != (asked.scheme, asked.netloc):
        return HOME
    path = f"{came_from.path}?{came_from.query}" if came_from.query else came_from.path
    return safe_next(path)
