"""One verifying TLS context per process, shared by every HTTP client the process opens.

Building a context reads the whole CA bundle (about 20 ms); a daemon opens several clients and
the tests open thousands. A context holds no per-connection state, so sharing one is safe.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def tls_context(*, trust_env: bool) -> ssl.SSLContext:
    """httpx's default verifying context; with `trust_env`, SSL_CERT_FILE and SSL_CERT_DIR
    name the trusted certificates, as httpx itself would read them."""
    return httpx.create_ssl_context(trust_env=trust_env)
