"""The shared TLS context: built once per process, and still verifying certificates."""

from __future__ import annotations

import ssl

from bot.fetch.tls import tls_context


def test_one_context_per_setting_and_it_verifies_certificates_and_host_names() -> None:
    """Every client shares one context per trust_env setting; sharing never turns off
    verification."""
    first, again = tls_context(trust_env=False), tls_context(trust_env=False)
    assert first is again
    for context in (first, tls_context(trust_env=True)):
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        assert context.cert_store_stats()["x509_ca"] > 10  # the CA bundle is loaded
