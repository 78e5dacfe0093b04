"""Remote JWK sets (``JWTAuthentication(jwks_url=...)``) and OpenID Connect discovery
(``oidc_issuer=...``): fetched over HTTPS with the default TLS context (its CA file:
``SSL_CERT_FILE``, else the system's). Not public API.

A worker fetches the set when it plans its routes; Rust keeps one copy per URL for the process
(src/auth/jwks.rs) and asks for a refresh (``refresh``, run on a core's blocking pool) every
``jwks_refresh_interval`` seconds and on a token whose ``kid`` it does not know.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("django_bolt")

#: Seconds a fetch may take (django-bolt's).
TIMEOUT = 10.0


def check_https(url: str, what: str) -> None:
    """ValueError unless ``url`` is an absolute HTTPS URL (keys over plain HTTP could be swapped
    by anyone on the path)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ValueError(f"JWTAuthentication {what} must be an absolute HTTPS URL, got {url!r}")


def _get_json(url: str) -> tuple[bytes, Any]:
    # A TLS context of its own per fetch: urlopen's default opener keeps the context it built on
    # the process's first urlopen, with the CA file of that moment; fetches are rare, and a CA
    # bundle changed since (SSL_CERT_FILE, the system's) is then used.
    context = ssl.create_default_context()
    with urllib.request.urlopen(url, timeout=TIMEOUT, context=context) as resp:
        body = resp.read()
    return body, json.loads(body)


def fetch(url: str) -> bytes:
    """The JWK set document at ``url``, as sent; RuntimeError naming the URL when it cannot be
    fetched or is not ``{"keys": [...]}``."""
    try:
        body, doc = _get_json(url)
    except (OSError, ValueError, http.client.HTTPException) as e:
        raise RuntimeError(f"JWTAuthentication: could not fetch the key set at {url}: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise RuntimeError(f"JWTAuthentication: {url} did not answer a JWK set ({{'keys': [...]}})")
    return body


def refresh(url: str) -> None:
    """Fetches the set at ``url`` again and hands it to every core. On failure the keys in use
    stay, and one WARNING says why; Rust is told either way, so it tries again an interval
    later."""
    from .. import _native

    try:
        _native.jwks_publish(url, fetch(url))
    except (RuntimeError, ValueError) as e:
        log.warning("JWTAuthentication: the key set at %s was not refreshed; the keys held stay in use: %s", url, e)
        _native.jwks_publish(url, None)
    except BaseException:
        # Whatever it was, the refresh is over: without this Rust would wait for it forever.
        _native.jwks_publish(url, None)
        raise


def discover(issuer: str) -> tuple[str, str, list[str] | None]:
    """OpenID Connect discovery, as django-bolt does it: ``<issuer>/.well-known/openid-configuration``
    must name ``issuer`` (equal to ``issuer``, a trailing slash aside) and ``jwks_uri``. Returns
    ``(issuer, jwks_uri, algorithms)``, the last from ``id_token_signing_alg_values_supported``
    without ``none`` (None when the document has no such list)."""
    check_https(issuer, "oidc_issuer")
    url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    try:
        _, doc = _get_json(url)
    except (OSError, ValueError, http.client.HTTPException) as e:
        raise RuntimeError(f"JWTAuthentication: OpenID Connect discovery at {url} failed: {e}") from None
    if not isinstance(doc, dict):
        raise RuntimeError(f"JWTAuthentication: {url} did not answer a discovery document (a JSON object)")
    found, jwks_uri = doc.get("issuer"), doc.get("jwks_uri")
    if not isinstance(found, str) or not isinstance(jwks_uri, str):
        raise ValueError(f"JWTAuthentication: the discovery document at {url} must name 'issuer' and 'jwks_uri'")
    if found.rstrip("/") != issuer.rstrip("/"):
        raise ValueError(
            f"JWTAuthentication: the discovery document at {url} names issuer {found!r}, not oidc_issuer {issuer!r}"
        )
    algs = doc.get("id_token_signing_alg_values_supported")
    algorithms = [a for a in algs if isinstance(a, str) and a != "none"] if isinstance(algs, list) else None
    return found, jwks_uri, algorithms
