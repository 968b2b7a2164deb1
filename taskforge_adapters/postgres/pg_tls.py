"""What asyncpg's `ssl` argument should be for one of libpq's sslmodes."""

import ssl

# asyncpg's own default when given None: `prefer`, honouring the PGSSL* variables.
PgSsl = ssl.SSLContext | str | bool | None


def pg_ssl(mode: str, *, root_cert: str = "", cert: str = "", key: str = "") -> PgSsl:
    """`root_cert` empty trusts the system's authorities; `cert` and `key` go together."""
    if mode == "disable":
        return False
    if mode in ("allow", "prefer"):
        # Only asyncpg's negotiation can fall back between TLS and plaintext, and
        # neither mode checks a certificate, so there is nothing to build.
        return mode
    # As in libpq, `require` checks the chain once a root certificate is given.
    if mode == "require" and not root_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=root_cert or None)
        context.check_hostname = mode == "verify-full"
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert:
        context.load_cert_chain(cert, key or None)
    return context
