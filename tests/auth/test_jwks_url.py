"""``JWTAuthentication(jwks_url=...)``: the key set fetched over HTTPS when the server starts
(here from a local server with a self-signed certificate that ``SSL_CERT_FILE`` trusts), checked
in Rust as ``jwks=`` is, and refreshed: every ``jwks_refresh_interval`` and on an unknown
``kid``, the request naming that ``kid`` held until the refreshed keys arrive. ``oidc_issuer=``: the
same, its issuer and key set URL from OpenID Connect discovery."""

from __future__ import annotations

import base64
import http.server
import json
import shutil
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from django_bolt import _native
from django_bolt.auth import JWTAuthentication
from support.boltproc import BoltProcess
from support.projects import copy_project, run_bolt
from support.wire import fetch

KEY = b"jwks-url-test-key-0123456789abcdef"
# Keys by kid: the server's set is made of some of them (``Provider.serve``).
KEYS = {"k1": KEY, "k2": b"jwks-url-test-key-2-fedcba98765432", "k3": b"jwks-url-test-key-3-0011223344556677"}


def key_set(*kids: str) -> dict:
    return {
        "keys": [{"kty": "oct", "kid": k, "k": base64.urlsafe_b64encode(KEYS[k]).rstrip(b"=").decode()} for k in kids]
    }


SET = key_set("k1")


class Provider:
    """What the local HTTPS server answers, changed by a test (``serve``, ``down``) and put
    back after it; ``hits`` counts the key set's fetches."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.set = SET
        self.down = False
        self.hits = 0
        #: Seconds the key set's answer takes (a slow provider).
        self.delay = 0.0
        #: The discovery document's ``issuer`` (None: the server's own address).
        self.issuer: str | None = None

    def serve(self, *kids: str) -> None:
        self.set = key_set(*kids)


PROVIDER = Provider()


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
            base = f"https://127.0.0.1:{self.server.server_address[1]}"
            status, doc = 404, {}
            # A query names another key set URL for the same set (one registered in-process).
            if self.path.split("?")[0] == "/jwks.json":
                PROVIDER.hits += 1
                time.sleep(PROVIDER.delay)
                status, doc = (503, {}) if PROVIDER.down else (200, PROVIDER.set)
            elif self.path == "/.well-known/openid-configuration":
                doc = {
                    "issuer": PROVIDER.issuer or base,
                    "jwks_uri": f"{base}/jwks.json",
                    "id_token_signing_alg_values_supported": ["none", "HS256"],
                }
                status = 200
            body = json.dumps(doc).encode()
            self.send_response(status)
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


@pytest.fixture
def provider():
    PROVIDER.reset()
    yield PROVIDER
    PROVIDER.reset()


def _project(tmp_path: Path, url: str, auth: str | None = None) -> Path:
    auth = auth or f'JWTAuthentication(jwks_url={url!r}, issuer="me", audience="api")'
    proj = copy_project("badsig", tmp_path / "p")
    (proj / "site_badsig" / "api.py").write_text(
        "from django_bolt import BoltAPI, _native\nfrom django_bolt.auth import IsAuthenticated, JWTAuthentication\n\n"
        "api = BoltAPI()\n\n\n"
        f'@api.get("/me", auth=[{auth}], guards=[IsAuthenticated()])\n'
        "def me(request) -> dict:\n"
        '    return {"sub": request.auth["sub"], "core": _native.interp_id()}\n'
    )
    return proj


def _token(kid: str, key: bytes = KEY, **claims) -> str:
    body = {"sub": "5", "iss": "me", "aud": "api", "exp": int(time.time()) + 60, **claims}
    return _native.jwt_encode("HS256", key, json.dumps(body).encode(), kid)


def _signed(kid: str, **claims) -> str:
    return _token(kid, KEYS[kid], **claims)


def _me(server, token: str):
    return fetch(server.port, "GET", "/me", headers=[("Authorization", f"Bearer {token}")])


def _until(server, token: str, status: int, timeout: float = 10.0) -> list[int]:
    """Asks /me with ``token`` until it answers ``status``; the statuses seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.append(_me(server, token).status)
        if seen[-1] == status:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"/me never answered {status} within {timeout}s: {seen[-10:]}\n{server.output()}")


def _launch(tmp_path, url, ca, driver, refresh: float = 300, cores: int = 1, auth: str | None = None):
    auth = auth or f'JWTAuthentication(jwks_url={url!r}, issuer="me", audience="api", jwks_refresh_interval={refresh})'
    server = BoltProcess.launch(
        cwd=_project(tmp_path, url, auth), driver=driver, cores=cores, env={"SSL_CERT_FILE": str(ca)}
    )
    server.wait_ready(60)
    return server


def test_the_key_set_is_fetched_at_start_up(tmp_path, https_jwks, driver):
    url, ca = https_jwks
    server = BoltProcess.launch(cwd=_project(tmp_path, url), driver=driver, env={"SSL_CERT_FILE": str(ca)})
    try:
        server.wait_ready(60)
        ok = fetch(server.port, "GET", "/me", headers=[("Authorization", f"Bearer {_token('k1')}")])
        assert ok.status == 200 and ok.json()["sub"] == "5"
        for bad in (_token("k2"), _token("k1", aud="other")):
            assert fetch(server.port, "GET", "/me", headers=[("Authorization", f"Bearer {bad}")]).status == 401
    finally:
        server.stop()


def test_an_untrusted_certificate_stops_start_up(tmp_path, https_jwks):
    url, _ = https_jwks
    r = run_bolt(_project(tmp_path, url))
    assert r.returncode != 0
    assert f"could not fetch the key set at {url}" in r.stderr and "CERTIFICATE_VERIFY_FAILED" in r.stderr, r.stderr


def test_a_key_rotated_in_passes_on_its_first_request(tmp_path, https_jwks, provider, driver):
    """The request naming the new kid was answered 401 while it started the refresh; only the
    requests after the refresh landed passed. As django-bolt, it is held for the new keys."""
    url, ca = https_jwks
    server = _launch(tmp_path, url, ca, driver)
    try:
        assert _me(server, _signed("k1")).status == 200
        fetched = provider.hits
        provider.serve("k1", "k2")
        provider.delay = 0.5
        began = time.monotonic()
        first = _me(server, _signed("k2"))
        took = time.monotonic() - began
        assert first.status == 200 and first.json()["sub"] == "5", first.body
        # Held for the fetch (it takes 0.5 s), and only one fetch was made.
        assert took >= 0.5 and provider.hits == fetched + 1, (took, provider.hits - fetched)
        provider.delay = 0.0
        assert _me(server, _signed("k1")).status == 200
        assert _me(server, _signed("k2")).status == 200
        assert provider.hits == fetched + 1
    finally:
        server.stop()


def test_an_invented_kid_is_refused_and_the_next_within_the_cooldown_at_once(tmp_path, https_jwks, provider, driver):
    url, ca = https_jwks
    server = _launch(tmp_path, url, ca, driver)
    try:
        fetched = provider.hits
        # Held for the refresh its kid starts, then refused: the provider has no such key.
        assert _me(server, _token("invented-1")).status == 401
        assert provider.hits == fetched + 1
        # Within 30 s of that refresh (django-bolt's cooldown) another unknown kid fetches
        # nothing and is not held: a fetch would now take 3 s, the answers come well before.
        provider.delay = 3.0
        for n in range(5):
            began = time.monotonic()
            refused = _me(server, _token(f"invented-{n + 2}"))
            assert refused.status == 401 and time.monotonic() - began < 1.0, time.monotonic() - began
        assert "no key for kid" in refused.json()["detail"], refused.body
        time.sleep(0.5)
        assert provider.hits == fetched + 1
        assert _me(server, _signed("k1")).status == 200
    finally:
        server.stop()


def test_a_provider_down_at_the_refresh_refuses_the_held_request_and_warns(tmp_path, https_jwks, provider, driver):
    url, ca = https_jwks
    server = _launch(tmp_path, url, ca, driver)
    try:
        fetched = provider.hits
        provider.down = True
        provider.serve("k1", "k2")
        began = time.monotonic()
        assert _me(server, _signed("k2")).status == 401
        # Answered once the fetch failed, not when the hold's 10 s ran out.
        assert time.monotonic() - began < 5.0
        warning = f"the key set at {url} was not refreshed; the keys held stay in use"
        server.wait_stderr(warning)
        assert provider.hits == fetched + 1 and "HTTP Error 503" in server.stderr
        assert _me(server, _signed("k1")).status == 200
    finally:
        server.stop()


def test_requests_arriving_while_the_refresh_is_in_flight_wait_for_it(tmp_path, https_jwks, provider, driver):
    """Requests with the new kid that arrive while another request's refresh is fetching, on its
    core or the other, wait for that refresh rather than being refused or fetching again."""
    url, ca = https_jwks
    server = _launch(tmp_path, url, ca, driver, cores=2)
    try:
        fetched = provider.hits
        provider.serve("k1", "k2")
        provider.delay = 1.0
        token = _signed("k2")

        def me_after(pause: float) -> tuple[int, str | None]:
            time.sleep(pause)
            r = _me(server, token)
            return r.status, r.json().get("core") if r.status == 200 else None

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(me_after, [0.0] + [0.2 + 0.05 * i for i in range(7)]))
        assert [status for status, _ in answers] == [200] * 8, answers
        assert provider.hits == fetched + 1
    finally:
        server.stop()


def test_the_test_client_holds_the_request_too(demo_apis, https_jwks, provider, monkeypatch):
    """The in-process path (``TestClient``) waits for the refresh as the server does (Django set
    up with the demo's settings first: left to the test client, it would configure minimal ones)."""
    from django_bolt import BoltAPI
    from django_bolt.auth import IsAuthenticated
    from django_bolt.testing import TestClient

    url, ca = https_jwks
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    # A URL of its own: the key sets of this process are kept by URL.
    url = f"{url}?in-process"
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication(jwks_url=url, issuer="me", audience="api")], guards=[IsAuthenticated()])
    async def me(request) -> dict:
        return {"sub": request.auth["sub"]}

    with TestClient(api) as c:
        assert c.get("/me", headers={"Authorization": f"Bearer {_signed('k1')}"}).status_code == 200
        fetched = provider.hits
        provider.serve("k1", "k2")
        r = c.get("/me", headers={"Authorization": f"Bearer {_signed('k2')}"})
        assert (r.status_code, r.json()) == (200, {"sub": "5"})
        assert provider.hits == fetched + 1


def test_a_removed_key_stops_verifying_on_every_core_after_the_interval(tmp_path, https_jwks, provider, driver):
    url, ca = https_jwks
    server = _launch(tmp_path, url, ca, driver, refresh=1, cores=2)
    try:
        old = _signed("k1")
        # Verified (and cached) on both cores before the provider drops its key.
        cores = set()
        for _ in range(200):
            resp = _me(server, old)
            assert resp.status == 200
            cores.add(resp.json()["core"])
            if len(cores) == 2:
                break
        assert len(cores) == 2, "both cores served the token"
        provider.serve("k2")
        time.sleep(1.1)
        _until(server, old, 401)
        # Every core follows the one refresh: the old token is refused wherever it lands and
        # the new key's is accepted, whose kid needs no fetch of its own.
        fetched, began = provider.hits, time.monotonic()
        for _ in range(20):
            assert _me(server, old).status == 401
            assert _me(server, _signed("k2")).status == 200
        # Only the intervals' refreshes: a kid the set holds fetches nothing.
        assert provider.hits - fetched <= 1 + (time.monotonic() - began) / 1.0
    finally:
        server.stop()


def test_a_failed_refresh_keeps_the_keys_and_warns(tmp_path, https_jwks, provider, driver):
    url, ca = https_jwks
    server = _launch(tmp_path, url, ca, driver, refresh=1)
    try:
        token = _signed("k1")
        assert _me(server, token).status == 200
        provider.down = True
        fetched = provider.hits
        time.sleep(1.1)
        assert _me(server, token).status == 200  # starts the refresh, answered with the keys held
        warning = f"the key set at {url} was not refreshed; the keys held stay in use"
        server.wait_stderr(warning)
        # One fetch failed (the next is an interval away), one line says so.
        assert (provider.hits - fetched, server.stderr.count(warning)) == (1, 1)
        assert "HTTP Error 503" in server.stderr
        for _ in range(5):
            assert _me(server, token).status == 200
        # Back up: the next interval's refresh takes the provider's new set.
        provider.down = False
        provider.serve("k2")
        time.sleep(1.1)
        _me(server, token)
        _until(server, token, 401)
        assert _me(server, _signed("k2")).status == 200
    finally:
        server.stop()


def test_oidc_discovery_gives_the_issuer_and_the_key_set(tmp_path, https_jwks, provider, driver):
    url, ca = https_jwks
    issuer = url.removesuffix("/jwks.json")
    server = _launch(tmp_path, url, ca, driver, auth=f'JWTAuthentication(oidc_issuer={issuer + "/"!r}, audience="api")')
    try:
        assert _me(server, _signed("k1", iss=issuer)).status == 200
        # The discovered issuer is required: the jwks_url rule's "me" is not it.
        assert _me(server, _signed("k1")).status == 401
        assert _me(server, _signed("k1", iss=issuer, aud="other")).status == 401
        # Its key set refreshes as jwks_url's does.
        provider.serve("k1", "k2")
        _until(server, _signed("k2", iss=issuer), 200)
    finally:
        server.stop()


def test_oidc_discovery_rules(https_jwks, provider, monkeypatch):
    url, ca = https_jwks
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    issuer = url.removesuffix("/jwks.json")
    auth = JWTAuthentication(oidc_issuer=issuer, audience="api")
    # As django-bolt: the discovery document's algorithms, "none" left out.
    assert (auth.issuer, auth.jwks_url, auth.algorithms) == ([issuer], url, ["HS256"])
    assert JWTAuthentication(oidc_issuer=issuer, audience="api", algorithms=["HS512"]).algorithms == ["HS512"]
    provider.issuer = "https://someone.else"
    with pytest.raises(ValueError, match="names issuer 'https://someone.else', not oidc_issuer"):
        JWTAuthentication(oidc_issuer=issuer, audience="api")
    with pytest.raises(ValueError, match="absolute HTTPS URL"):
        JWTAuthentication(oidc_issuer="http://idp.example", audience="api")
    with pytest.raises(ValueError, match="needs audience="):
        JWTAuthentication(oidc_issuer=issuer)
    for clash in ({"issuer": "me"}, {"jwks_url": url}, {"jwks": SET}):
        with pytest.raises(ValueError, match="pass no issuer, jwks_url or jwks"):
            JWTAuthentication(oidc_issuer=issuer, audience="api", **clash)
    with pytest.raises(RuntimeError, match="OpenID Connect discovery at https://127.0.0.1:1/.well-known"):
        JWTAuthentication(oidc_issuer="https://127.0.0.1:1", audience="api")


def test_django_bolts_rules():
    with pytest.raises(ValueError, match="HTTPS"):
        JWTAuthentication(jwks_url="http://127.0.0.1/jwks.json", issuer="me", audience="api")
    with pytest.raises(ValueError, match="issuer= and audience="):
        JWTAuthentication(jwks_url="https://idp.example/jwks.json")
    with pytest.raises(ValueError, match="> 0 seconds"):
        JWTAuthentication(
            jwks_url="https://idp.example/jwks.json", issuer="me", audience="api", jwks_refresh_interval=0
        )
    auth = JWTAuthentication(
        jwks_url="https://idp.example/jwks.json", issuer="me", audience="api", jwks_refresh_interval=60
    )
    assert auth.jwks_refresh_interval == 60


def test_a_ca_file_set_after_the_first_urlopen_is_trusted(https_jwks, provider, monkeypatch):
    """The bug: urlopen's default opener keeps the TLS context of the process's first urlopen,
    so a fetch after an earlier urlopen (any test, any library) ignored SSL_CERT_FILE set since."""
    import urllib.request

    url, ca = https_jwks
    monkeypatch.setattr(urllib.request, "_opener", None)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)  # builds the default opener, without our CA
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    issuer = url.removesuffix("/jwks.json")
    assert JWTAuthentication(oidc_issuer=issuer, audience="api").jwks_url == url
