"""The shape of an API key: `tfk_<key id>_<secret>`. The key id finds the stored key
without a secret-dependent lookup; only the SHA-256 of the secret is stored.

A plain SHA-256 is enough because the secret is 256 random bits: slow password hashes
exist to make guessing a low-entropy password costly, and nobody guesses 2^256."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

PREFIX = "tfk_"
_SHAPE = re.compile(r"tfk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
# Compared against when no key has the presented id, so an unknown key costs the same.
_NO_SUCH_HASH = hashlib.sha256(b"no key has this id").digest()


@dataclass(frozen=True, slots=True)
class KeySecret:
    key_id: str
    secret: str = field(repr=False)

    @property
    def token(self) -> str:
        return f"{PREFIX}{self.key_id}_{self.secret}"

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.secret.encode()).digest()


def new_key() -> KeySecret:
    return KeySecret(secrets.token_hex(8), secrets.token_urlsafe(32))


def parse_token(token: str) -> KeySecret | None:
    """The key a bearer token names, or None when it is not shaped like one."""
    match = _SHAPE.fullmatch(token)
    return None if match is None else KeySecret(match[1], match[2])


def matches(presented: KeySecret, stored_sha256: bytes | None) -> bool:
    """Constant time, whether or not a key with the presented id exists."""
    expected = _NO_SUCH_HASH if stored_sha256 is None else stored_sha256
    return hmac.compare_digest(presented.sha256, expected) and stored_sha256 is not None
