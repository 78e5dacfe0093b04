"""``JWTAuthentication(jwks_url=...)``: the key set fetched over HTTPS when each worker starts
(here from a local server with a self-signed certificate that ``SSL_CERT_FILE`` trusts), then
checked in Rust as ``jwks=`` is. Not refreshed: ``jwks_refresh_interval`` is refused."""

from __future__ import annotations

import base64
import http.server
import json
import shutil
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from django_bolt import _native
from django_bolt.auth import JWTAuthentication
from support.boltproc import BoltProcess
from support.projects import copy_project, run_bolt
from support.wire import fetch

KEY = b"jwks-url-test-key-0123456789abcdef"
SET = {"keys": [{"kty": "oct", "kid": "k1", "k": base64.urlsafe_b64encode(KEY).rstrip(b"=").decode()}]}


@pytest.fixture(scope="module")
def https_jwks(tmp_path_factory):
    """(url, CA file): a local HTTPS server answering SET at /jwks.json, its certificate self-signed."""
    openssl = shutil.which("openssl")
    assert openssl, "this test makes its certificate with the openssl command"
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(SET).encode()
            self.send_response(200 if self.path == "/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/jwks.json", cert
    finally:
        server.shutdown()
        server.server_close()


def _project(tmp_path: Path, url: str) -> Path:
    proj = copy_project("badsig", tmp_path / "p")
    (proj / "site_badsig" / "api.py").write_text(
        "from django_bolt import BoltAPI\nfrom django_bolt.auth import IsAuthenticated, JWTAuthentication\n\n"
        "api = BoltAPI()\n\n\n"
        f'@api.get("/me", auth=[JWTAuthentication(jwks_url={url!r}, issuer="me", audience="api")],'
        " guards=[IsAuthenticated()])\n"
        "def me(request) -> dict:\n"
        '    return {"sub": request.auth["sub"]}\n'
    )
    return proj


def _token(kid: str, **claims) -> str:
    body = {"sub": "5", "iss": "me", "aud": "api", "exp": int(time.time()) + 60, **claims}
    return _native.jwt_encode("HS256", KEY, json.dumps(body).encode(), kid)


def test_the_key_set_is_fetched_at_start_up(tmp_path, https_jwks, driver):
    url, ca = https_jwks
    server = BoltProcess.launch(cwd=_project(tmp_path, url), driver=driver, env={"SSL_CERT_FILE": str(ca)})
    try:
        server.wait_ready(60)
        ok = fetch(server.port, "GET", "/me", headers=[("Authorization", f"Bearer {_token('k1')}")])
        assert ok.status == 200 and ok.json() == {"sub": "5"}
        for bad in (_token("k2"), _token("k1", aud="other")):
            assert fetch(server.port, "GET", "/me", headers=[("Authorization", f"Bearer {bad}")]).status == 401
    finally:
        server.stop()


def test_an_untrusted_certificate_stops_start_up(tmp_path, https_jwks):
    url, _ = https_jwks
    r = run_bolt(_project(tmp_path, url))
    assert r.returncode != 0
    assert f"could not fetch the key set at {url}" in r.stderr and "CERTIFICATE_VERIFY_FAILED" in r.stderr, r.stderr


def test_django_bolts_rules_and_what_is_not_done():
    with pytest.raises(ValueError, match="HTTPS"):
        JWTAuthentication(jwks_url="http://127.0.0.1/jwks.json", issuer="me", audience="api")
    with pytest.raises(ValueError, match="issuer= and audience="):
        JWTAuthentication(jwks_url="https://idp.example/jwks.json")
    with pytest.raises(NotImplementedError, match="not refreshed"):
        JWTAuthentication(
            jwks_url="https://idp.example/jwks.json", issuer="me", audience="api", jwks_refresh_interval=60
        )
    with pytest.raises(NotImplementedError, match="oidc_issuer"):
        JWTAuthentication(oidc_issuer="https://idp.example")
