"""The TLS arguments of a redis-py client."""

import ssl
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RedisTlsOptions:
    """Empty `ca_file` trusts the system's authorities; `cert_file` and `key_file` go together."""

    check_chain: bool = True
    check_hostname: bool = True
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""


def redis_tls_arguments(tls: RedisTlsOptions | None) -> dict[str, Any]:
    if tls is None:
        return {}
    return {
        "ssl": True,
        "ssl_cert_reqs": "required" if tls.check_chain else "none",
        "ssl_check_hostname": tls.check_chain and tls.check_hostname,
        "ssl_ca_certs": tls.ca_file or None,
        "ssl_certfile": tls.cert_file or None,
        "ssl_keyfile": tls.key_file or None,
        "ssl_min_version": ssl.TLSVersion.TLSv1_2,
    }
