"""The TLS settings of both stores: parsed, checked at start with errors naming the setting,
and no secret shown when the settings are printed."""

import dataclasses
import ssl
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from taskforge_adapters.postgres.pg_tls import pg_ssl
from taskforge_adapters.redis.redis_tls import RedisTlsOptions, redis_tls_arguments
from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import ConfigError, load_settings
from taskforge_entrypoints.config.store_tls import PostgresTls, RedisTls


@pytest.fixture
def pem(tmp_path: Path) -> dict[str, str]:
    """Paths of an authority, a certificate it signed with its key, and another key."""
    ca = trustme.CA()
    leaf, stranger = ca.issue_cert("client"), ca.issue_cert("stranger")
    files = {
        "ca": ca.cert_pem.bytes(),
        "cert": leaf.cert_chain_pems[0].bytes(),
        "key": leaf.private_key_pem.bytes(),
        "other_key": stranger.private_key_pem.bytes(),
        "not_pem": b"this is not a certificate\n",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return {name: str(tmp_path / name) for name in files}


def refused(**environ: str) -> str:
    with pytest.raises(ConfigError) as error:
        load_settings(environ)
    return str(error.value)


def test_postgres_defaults_to_prefer_with_no_files() -> None:
    assert load_settings({}).postgres_tls == PostgresTls("prefer", "", "", "")


def test_every_sslmode_of_libpq_is_accepted() -> None:
    for mode in ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"):
        assert load_settings({"POSTGRES_SSLMODE": mode.upper()}).postgres_tls.mode == mode


def test_an_unknown_sslmode_is_refused_listing_the_modes() -> None:
    message = refused(POSTGRES_SSLMODE="strict")
    assert message.startswith("POSTGRES_SSLMODE='strict': must be one of disable, allow, prefer")


def test_the_files_are_kept_for_a_mode_that_checks(pem: dict[str, str]) -> None:
    settings = load_settings(
        {
            "POSTGRES_SSLMODE": "verify-full",
            "POSTGRES_SSLROOTCERT": pem["ca"],
            "POSTGRES_SSLCERT": pem["cert"],
            "POSTGRES_SSLKEY": pem["key"],
        }
    )
    assert settings.postgres_tls == PostgresTls("verify-full", pem["ca"], pem["cert"], pem["key"])


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_a_root_certificate_is_refused_where_the_mode_would_ignore_it(
    pem: dict[str, str], mode: str
) -> None:
    message = refused(POSTGRES_SSLMODE=mode, POSTGRES_SSLROOTCERT=pem["ca"])
    assert message.startswith(f"POSTGRES_SSLROOTCERT is set, but POSTGRES_SSLMODE={mode} never")


def test_a_missing_root_certificate_file_is_named() -> None:
    message = refused(POSTGRES_SSLMODE="verify-full", POSTGRES_SSLROOTCERT="/no/such/ca.pem")
    assert message == "POSTGRES_SSLROOTCERT=/no/such/ca.pem: no such file"


def test_a_root_certificate_file_that_holds_no_certificate_is_named(pem: dict[str, str]) -> None:
    message = refused(POSTGRES_SSLMODE="verify-ca", POSTGRES_SSLROOTCERT=pem["not_pem"])
    assert message.startswith(f"POSTGRES_SSLROOTCERT={pem['not_pem']}: holds no PEM certificate")


def test_a_client_certificate_without_its_key_is_refused(pem: dict[str, str]) -> None:
    message = refused(POSTGRES_SSLMODE="require", POSTGRES_SSLCERT=pem["cert"])
    assert message == (
        "POSTGRES_SSLCERT is set without POSTGRES_SSLKEY: a client certificate needs both"
    )


def test_a_key_without_its_client_certificate_is_refused(pem: dict[str, str]) -> None:
    message = refused(POSTGRES_SSLMODE="require", POSTGRES_SSLKEY=pem["key"])
    assert message.startswith("POSTGRES_SSLKEY is set without POSTGRES_SSLCERT")


def test_a_key_that_does_not_belong_to_the_certificate_is_refused_without_quoting_it(
    pem: dict[str, str],
) -> None:
    message = refused(
        POSTGRES_SSLMODE="require", POSTGRES_SSLCERT=pem["cert"], POSTGRES_SSLKEY=pem["other_key"]
    )
    assert message.startswith(f"POSTGRES_SSLCERT={pem['cert']} and POSTGRES_SSLKEY=")
    key_body = Path(pem["other_key"]).read_text().splitlines()[1]
    assert key_body not in message


def test_an_encrypted_key_is_refused_instead_of_asking_for_its_passphrase(
    pem: dict[str, str], tmp_path: Path
) -> None:
    key = serialization.load_pem_private_key(Path(pem["key"]).read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    message = refused(
        POSTGRES_SSLMODE="require", POSTGRES_SSLCERT=pem["cert"], POSTGRES_SSLKEY=str(encrypted)
    )
    assert message == f"POSTGRES_SSLKEY={encrypted}: the key is encrypted; give it unencrypted"


def test_redis_addr_keeps_its_plain_host_and_port_form() -> None:
    settings = load_settings({"REDIS_ADDR": "cache:6380"})
    assert (settings.redis_addr, settings.redis_tls) == ("cache:6380", None)


def test_a_redis_url_without_tls_is_the_same_address() -> None:
    settings = load_settings({"REDIS_ADDR": "redis://cache:6380/"})
    assert (settings.redis_addr, settings.redis_tls) == ("cache:6380", None)


def test_rediss_turns_tls_on_with_every_check() -> None:
    settings = load_settings({"REDIS_ADDR": "rediss://cache:6380"})
    assert (settings.redis_addr, settings.redis_tls) == ("cache:6380", RedisTls("full"))


def test_the_redis_tls_switch_turns_tls_on_for_a_plain_address(pem: dict[str, str]) -> None:
    settings = load_settings(
        {
            "REDIS_ADDR": "cache:6380",
            "REDIS_TLS": "true",
            "REDIS_TLS_VERIFY": "ca",
            "REDIS_TLS_CA": pem["ca"],
            "REDIS_TLS_CERT": pem["cert"],
            "REDIS_TLS_KEY": pem["key"],
        }
    )
    assert settings.redis_tls == RedisTls("ca", pem["ca"], pem["cert"], pem["key"])


def test_the_redis_tls_switch_contradicting_a_redis_url_is_refused() -> None:
    message = refused(REDIS_ADDR="redis://cache:6380", REDIS_TLS="true")
    assert message == "REDIS_TLS=true contradicts REDIS_ADDR='redis://cache:6380': use rediss://"


@pytest.mark.parametrize("name", ["REDIS_TLS_CA", "REDIS_TLS_CERT", "REDIS_TLS_KEY"])
def test_a_redis_tls_file_is_refused_while_tls_is_off(pem: dict[str, str], name: str) -> None:
    message = refused(REDIS_ADDR="cache:6380", **{name: pem["ca"]})
    assert message.startswith(f"{name} is set, but TLS to Redis is off")


def test_a_redis_client_certificate_without_its_key_is_refused(pem: dict[str, str]) -> None:
    message = refused(REDIS_ADDR="rediss://cache:6380", REDIS_TLS_CERT=pem["cert"])
    assert message.startswith("REDIS_TLS_CERT is set without REDIS_TLS_KEY")


def test_a_missing_redis_ca_file_is_named() -> None:
    message = refused(REDIS_ADDR="rediss://cache:6380", REDIS_TLS_CA="/no/ca.pem")
    assert message == "REDIS_TLS_CA=/no/ca.pem: no such file"


def test_an_unknown_redis_check_is_refused() -> None:
    message = refused(REDIS_ADDR="rediss://cache:6380", REDIS_TLS_VERIFY="some")
    assert message == "REDIS_TLS_VERIFY='some': must be one of full, ca, none"


def test_a_redis_ca_with_no_check_is_refused(pem: dict[str, str]) -> None:
    message = refused(REDIS_ADDR="rediss://c:1", REDIS_TLS_VERIFY="none", REDIS_TLS_CA=pem["ca"])
    assert message == "REDIS_TLS_CA is set, but REDIS_TLS_VERIFY=none checks no certificate"


def test_credentials_in_redis_addr_are_refused_without_quoting_them() -> None:
    message = refused(REDIS_ADDR="rediss://:hunter2@cache:6380")
    assert message == "REDIS_ADDR must not carry credentials: set REDIS_PASSWORD instead"


def test_a_database_in_redis_addr_is_refused() -> None:
    assert refused(REDIS_ADDR="redis://cache:6380/2").endswith(
        "give the database in REDIS_DB, not in the address"
    )


def test_another_scheme_in_redis_addr_is_refused() -> None:
    assert refused(REDIS_ADDR="unix:///run/redis.sock").startswith("REDIS_ADDR='unix:///run/")


def test_settings_printed_show_no_password() -> None:
    settings = load_settings({"POSTGRES_PASSWORD": "pg-hunter2", "REDIS_PASSWORD": "redis-hunter2"})
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        assert "hunter2" not in shown
        assert "postgres_password=<redacted>" in shown
        assert "redis_password=<redacted>" in shown
    assert settings.postgres_password == "pg-hunter2"


def test_settings_changed_in_code_still_hide_the_password() -> None:
    changed = dataclasses.replace(load_settings({}), postgres_password="replaced-hunter2")
    assert "hunter2" not in repr(changed)


def test_an_empty_password_shows_as_empty() -> None:
    assert "redis_password=''" in repr(load_settings({}))


def test_postgres_modes_become_asyncpgs_ssl_argument(pem: dict[str, str]) -> None:
    assert pg_ssl("disable") is False
    assert pg_ssl("prefer") == "prefer"
    assert pg_ssl("allow") == "allow"
    unchecked, chain, full = (
        pg_ssl("require"),
        pg_ssl("verify-ca", root_cert=pem["ca"]),
        pg_ssl("verify-full", root_cert=pem["ca"], cert=pem["cert"], key=pem["key"]),
    )
    assert isinstance(unchecked, ssl.SSLContext)
    assert (unchecked.verify_mode, unchecked.check_hostname) == (ssl.CERT_NONE, False)
    assert isinstance(chain, ssl.SSLContext)
    assert (chain.verify_mode, chain.check_hostname) == (ssl.CERT_REQUIRED, False)
    assert isinstance(full, ssl.SSLContext)
    assert (full.verify_mode, full.check_hostname) == (ssl.CERT_REQUIRED, True)


def test_require_with_a_root_certificate_checks_the_chain_as_libpq_does(
    pem: dict[str, str],
) -> None:
    context = pg_ssl("require", root_cert=pem["ca"])
    assert isinstance(context, ssl.SSLContext)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, False)


def test_redis_checks_become_redis_py_arguments() -> None:
    assert redis_tls_arguments(None) == {}
    full = redis_tls_arguments(RedisTlsOptions(ca_file="/ca.pem"))
    assert (full["ssl"], full["ssl_cert_reqs"], full["ssl_check_hostname"]) == (
        True,
        "required",
        True,
    )
    assert full["ssl_ca_certs"] == "/ca.pem"
    chain_only = redis_tls_arguments(RedisTlsOptions(check_hostname=False))
    assert (chain_only["ssl_cert_reqs"], chain_only["ssl_check_hostname"]) == ("required", False)
    none = redis_tls_arguments(RedisTlsOptions(check_chain=False))
    assert (none["ssl_cert_reqs"], none["ssl_check_hostname"]) == ("none", False)


@pytest.mark.parametrize(
    ("check", "chain", "hostname"),
    [("full", True, True), ("ca", True, False), ("none", False, False)],
)
def test_the_redis_check_setting_reaches_the_client_options(
    check: str, chain: bool, hostname: bool
) -> None:
    settings = load_settings({"REDIS_ADDR": "rediss://cache:6380", "REDIS_TLS_VERIFY": check})
    options = ioc.redis_tls(settings)
    assert options == RedisTlsOptions(check_chain=chain, check_hostname=hostname)


def test_the_postgres_mode_setting_reaches_asyncpg() -> None:
    assert ioc.postgres_ssl(load_settings({"POSTGRES_SSLMODE": "disable"})) is False
    assert ioc.postgres_ssl(load_settings({})) == "prefer"
