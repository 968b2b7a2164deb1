"""How long a handler may ask its job's next attempt to wait, instead of the backoff."""

from datetime import timedelta

MAX_RETRY_IN = timedelta(hours=24)
"""The longest wait a handler may ask for. A day covers the windows upstreams name in
rate limits and quotas; anything longer is a schedule, not a retry, and most likely a
unit mistake. BACKOFF_MAX is not the bound: it spreads the automatic retries, and an
upstream that says "come back in an hour" must not be asked again at the fifteenth minute."""


def checked_retry_in(retry_in: timedelta) -> timedelta:
    """`retry_in` when it is a wait a retry may take: from zero up to MAX_RETRY_IN."""
    if not isinstance(retry_in, timedelta):
        raise TypeError(f"retry_in must be a timedelta, not {type(retry_in).__name__}")
    if retry_in < timedelta(0):
        raise ValueError(f"retry_in must not be negative, not {retry_in}")
    if retry_in > MAX_RETRY_IN:
        raise ValueError(f"retry_in must be at most {MAX_RETRY_IN}, not {retry_in}")
    return retry_in
