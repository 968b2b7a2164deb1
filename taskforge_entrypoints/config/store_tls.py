"""TLS to PostgreSQL and Redis: how far each server is checked, and the files it takes.

Every file is opened here, at start, so a wrong path, a file that is not PEM or a
certificate whose key does not match stops the process with one line naming the setting,
instead of every connection failing later. No message quotes a file's contents.
"""

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from taskforge_entrypoints.config.config_error import ConfigError

POSTGRES_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# libpq's default, and what asyncpg did before Taskforge had the setting: TLS when the
# server offers it, plaintext when it does not, so a local trust setup works unchanged.
POSTGRES_SSLMODE_DEFAULT = "prefer"
_POSTGRES_NEGOTIATED = ("disable", "allow", "prefer")
REDIS_TLS_CHECKS = ("full", "ca", "none")
_REDIS_TLS_FILES = ("REDIS_TLS_CA", "REDIS_TLS_CERT", "REDIS_TLS_KEY")


@dataclass(frozen=True, slots=True)
class PostgresTls:
    """libpq's sslmode; `root_cert` empty means the system's trusted authorities."""

    mode: str = POSTGRES_SSLMODE_DEFAULT
    root_cert: str = ""
    cert: str = ""
    key: str = ""


@dataclass(frozen=True, slots=True)
class RedisTls:
    """`check` full: the chain and the host name; ca: the chain only; none: nothing."""

    check: str = "full"
    ca: str = ""
    cert: str = ""
    key: str = ""


def load_postgres_tls(environ: Mapping[str, str]) -> PostgresTls:
    mode = environ.get("POSTGRES_SSLMODE", POSTGRES_SSLMODE_DEFAULT).strip().lower()
    if mode not in POSTGRES_SSLMODES:
        modes = ", ".join(POSTGRES_SSLMODES)
        raise ConfigError(f"POSTGRES_SSLMODE={mode!r}: must be one of {modes}")
    names = ("POSTGRES_SSLROOTCERT", "POSTGRES_SSLCERT", "POSTGRES_SSLKEY")
    root_cert, cert, key = (environ.get(name, "").strip() for name in names)
    if mode in _POSTGRES_NEGOTIATED:
        # libpq would ignore a CA file here; an operator who set one expects a check.
        for name, value in zip(names, (root_cert, cert, key), strict=True):
            if value:
                raise ConfigError(
                    f"{name} is set, but POSTGRES_SSLMODE={mode} never uses it: "
                    "use require, verify-ca or verify-full"
                )
    _check_authorities("POSTGRES_SSLROOTCERT", root_cert)
    _check_client_identity(("POSTGRES_SSLCERT", cert), ("POSTGRES_SSLKEY", key))
    return PostgresTls(mode, root_cert, cert, key)


def load_redis_address(environ: Mapping[str, str]) -> tuple[str, RedisTls | None]:
    """REDIS_ADDR as host:port, and TLS when it says rediss:// or REDIS_TLS is on."""
    raw = environ.get("REDIS_ADDR", "redis:6379").strip()
    scheme, separator, address = raw.partition("://")
    if not separator:
        scheme, address = "", raw
    elif scheme not in ("redis", "rediss"):
        raise ConfigError(f"REDIS_ADDR={raw!r}: must be host:port, redis://host:port or rediss://")
    if "@" in address:
        # Not quoted: what precedes the @ is likely a password.
        raise ConfigError("REDIS_ADDR must not carry credentials: set REDIS_PASSWORD instead")
    address = address.rstrip("/")
    if "/" in address:
        raise ConfigError(f"REDIS_ADDR={raw!r}: give the database in REDIS_DB, not in the address")
    switch = _switch("REDIS_TLS", environ.get("REDIS_TLS", "false"))
    if switch and scheme == "redis":
        raise ConfigError(f"REDIS_TLS=true contradicts REDIS_ADDR={raw!r}: use rediss://")
    files = {name: environ.get(name, "").strip() for name in _REDIS_TLS_FILES}
    check = environ.get("REDIS_TLS_VERIFY", "").strip().lower()
    if not (switch or scheme == "rediss"):
        for name, value in [*files.items(), ("REDIS_TLS_VERIFY", check)]:
            if value:
                raise ConfigError(
                    f"{name} is set, but TLS to Redis is off: set REDIS_TLS=true "
                    "or write REDIS_ADDR as rediss://host:port"
                )
        return address, None
    check = check or "full"
    if check not in REDIS_TLS_CHECKS:
        checks = ", ".join(REDIS_TLS_CHECKS)
        raise ConfigError(f"REDIS_TLS_VERIFY={check!r}: must be one of {checks}")
    if check == "none" and files["REDIS_TLS_CA"]:
        raise ConfigError("REDIS_TLS_CA is set, but REDIS_TLS_VERIFY=none checks no certificate")
    _check_authorities("REDIS_TLS_CA", files["REDIS_TLS_CA"])
    _check_client_identity(
        ("REDIS_TLS_CERT", files["REDIS_TLS_CERT"]), ("REDIS_TLS_KEY", files["REDIS_TLS_KEY"])
    )
    return address, RedisTls(
        check, files["REDIS_TLS_CA"], files["REDIS_TLS_CERT"], files["REDIS_TLS_KEY"]
    )


def _switch(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"", "0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={text!r}: must be true or false")


def _check_readable(name: str, path: str) -> None:
    if not Path(path).is_file():
        raise ConfigError(f"{name}={path}: no such file")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{name}={path}: this process may not read it")


def _check_authorities(name: str, path: str) -> None:
    if not path:
        return
    _check_readable(name, path)
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        raise ConfigError(f"{name}={path}: holds no PEM certificate ({exc.reason})") from None


def _check_client_identity(cert: tuple[str, str], key: tuple[str, str]) -> None:
    (cert_name, cert_path), (key_name, key_path) = cert, key
    if bool(cert_path) != bool(key_path):
        missing, given = (key_name, cert_name) if cert_path else (cert_name, key_name)
        raise ConfigError(f"{given} is set without {missing}: a client certificate needs both")
    if not cert_path:
        return
    _check_readable(cert_name, cert_path)
    _check_readable(key_name, key_path)
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(
            cert_path, key_path, password=_refuse_passphrase
        )
    except _EncryptedKey:
        encrypted = f"{key_name}={key_path}: the key is encrypted; give it unencrypted"
        raise ConfigError(encrypted) from None
    except ssl.SSLError as exc:
        raise ConfigError(
            f"{cert_name}={cert_path} and {key_name}={key_path}: not a PEM certificate "
            f"and the unencrypted key that belongs to it ({exc.reason})"
        ) from None


class _EncryptedKey(Exception):
    pass


def _refuse_passphrase() -> str:
    # Without a callback OpenSSL would ask for the passphrase on the terminal, and wait.
    raise _EncryptedKey
