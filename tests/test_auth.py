"""JWT authentication (verified in Rust) and guards (Rust for claims, Python for the rest)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time

import pytest

from boltproc import DEMO, server_env
from wire import fetch, json_body

from django_bolt import _native

SECRET = b"django-insecure-demo-only-0b1t-s3cr3t-k3y-do-not-use-in-production"


def mint(claims: dict, secret: bytes = SECRET, alg: str = "HS256") -> str:
    return _native.jwt_encode(alg, secret, json.dumps(claims).encode())


def b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def users(demo_db):
    code = ("from django.contrib.auth.models import User, Permission\n"
            "for name, staff in (('alice', True), ('bob', False)):\n"
            "    u, _ = User.objects.get_or_create(username=name)\n"
            "    u.is_staff = staff\n"
            "    u.set_password('pw-' + name)\n"
            "    u.save()\n"
            "a = User.objects.get(username='alice')\n"
            "a.user_permissions.add(Permission.objects.get(codename='change_person'))\n"
            "print(a.pk, User.objects.get(username='bob').pk)\n")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=DEMO, env=server_env(),
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1].split()
    return {"alice": out[0], "bob": out[1]}


def bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def valid(sub: str, **extra) -> str:
    return mint({"sub": sub, "exp": int(time.time()) + 300, **extra})


def test_token_endpoint_issues_a_working_jwt(server, users):
    resp = fetch(server.port, "POST", "/token", headers=[("Content-Type", "application/json")],
                 body=json_body({"username": "alice", "password": "pw-alice"}))
    assert resp.status == 200
    tok = resp.json()["access"]
    me = fetch(server.port, "GET", "/secure/whoami", headers=bearer(tok))
    assert me.status == 200
    assert me.json() == {"sub": users["alice"], "user": "alice"}


def test_wrong_password_is_401(server, users):
    resp = fetch(server.port, "POST", "/token", headers=[("Content-Type", "application/json")],
                 body=json_body({"username": "alice", "password": "nope"}))
    assert resp.status == 401


def test_no_credentials_is_401_with_www_authenticate(server):
    resp = fetch(server.port, "GET", "/secure/whoami")
    assert resp.status == 401
    assert resp.header("www-authenticate") == "Bearer"


def _rejected(server, headers):
    resp = fetch(server.port, "GET", "/secure/whoami", headers=headers)
    assert resp.status == 401, resp.body
    assert resp.header("www-authenticate", ) is not None
    return resp


def test_rejects_alg_none(server, users):
    tok = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': users['alice'], 'exp': int(time.time()) + 300})}."
    _rejected(server, bearer(tok))


def test_rejects_public_key_used_as_hmac_secret(server, users):
    # The classic confusion: sign HS256 with an RSA public key as the secret. Our server only
    # knows SECRET_KEY, so this must fail (and a PEM secret is refused at start-up anyway).
    pem = b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----\n"
    _rejected(server, bearer(mint({"sub": users["alice"], "exp": int(time.time()) + 300}, secret=pem)))


@pytest.mark.parametrize("field", ["jwk", "jku"])
def test_rejects_a_header_supplying_its_own_key(server, users, field):
    attacker = b"attacker-secret"
    good = mint({"sub": users["alice"], "exp": int(time.time()) + 300}, secret=attacker)
    _, payload, sig = good.split(".")
    header = {"alg": "HS256", "typ": "JWT", field: ({"kty": "oct", "k": "YXR0YWNrZXItc2VjcmV0"}
                                                     if field == "jwk" else "https://evil.example/keys")}
    _rejected(server, bearer(f"{b64(header)}.{payload}.{sig}"))


def test_rejects_kid_pointing_elsewhere(server, users):
    good = mint({"sub": users["alice"], "exp": int(time.time()) + 300}, secret=b"other-key")
    _, payload, sig = good.split(".")
    _rejected(server, bearer(f"{b64({'alg': 'HS256', 'kid': '../../dev/null'})}.{payload}.{sig}"))


def test_rejects_expired_token(server, users):
    resp = _rejected(server, bearer(mint({"sub": users["alice"], "exp": int(time.time()) - 120})))
    assert "expired" in resp.json()["detail"]


def test_rejects_tampered_payload(server, users):
    h, _, sig = valid(users["bob"]).split(".")
    forged = b64({"sub": users["alice"], "exp": int(time.time()) + 300})
    _rejected(server, bearer(f"{h}.{forged}.{sig}"))


def test_rejects_token_without_bearer_prefix(server, users):
    _rejected(server, [("Authorization", valid(users["alice"]))])


def test_rejects_oversized_token(server, users):
    _rejected(server, bearer(valid(users["alice"], pad="x" * 9000)))


def test_rejects_missing_exp(server, users):
    _rejected(server, bearer(mint({"sub": users["alice"]})))


def test_claims_guard_in_rust(server, users):
    ok = fetch(server.port, "GET", "/secure/admin-claim", headers=bearer(valid(users["bob"], role="admin")))
    assert ok.status == 200 and ok.json() == {"role": "admin"}
    no = fetch(server.port, "GET", "/secure/admin-claim", headers=bearer(valid(users["bob"], role="user")))
    assert no.status == 403


def test_not_and_or_combinators(server, users):
    assert fetch(server.port, "GET", "/secure/not-admin", headers=bearer(valid(users["bob"]))).status == 200
    assert fetch(server.port, "GET", "/secure/not-admin",
                 headers=bearer(valid(users["bob"], role="admin"))).status == 403
    assert fetch(server.port, "GET", "/secure/not-admin",
                 headers=bearer(valid(users["bob"], role="admin", scope="override"))).status == 200


def test_staff_guard_reads_the_django_user(server, users):
    assert fetch(server.port, "GET", "/secure/staff", headers=bearer(valid(users["alice"]))).json() == \
        {"staff": "alice"}
    assert fetch(server.port, "GET", "/secure/staff", headers=bearer(valid(users["bob"]))).status == 403


def test_permission_guard(server, users):
    assert fetch(server.port, "GET", "/secure/perm", headers=bearer(valid(users["alice"]))).status == 200
    assert fetch(server.port, "GET", "/secure/perm", headers=bearer(valid(users["bob"]))).status == 403
    assert fetch(server.port, "GET", "/secure/perm").status == 401


def test_custom_async_guard(server, users):
    h = bearer(valid(users["bob"]))
    assert fetch(server.port, "GET", "/secure/custom", headers=h).status == 200
    assert fetch(server.port, "GET", "/secure/custom", headers=h + [("X-Banned", "1")]).status == 403
    teapot = fetch(server.port, "GET", "/secure/custom", headers=h + [("X-Banned", "teapot")])
    assert teapot.status == 418 and teapot.json() == {"detail": "banned teapots"}


def test_unguarded_routes_ignore_tokens(server):
    assert fetch(server.port, "GET", "/hello", headers=[("Authorization", "garbage")]).status == 200


def test_settings_provide_default_auth_and_guards(tmp_path):
    """BOLT_AUTHENTICATION / BOLT_DEFAULT_GUARDS apply to routes that set neither."""
    import shutil

    from boltproc import BoltProcess
    from test_startup import PROJECTS

    proj = tmp_path / "p"
    shutil.copytree(PROJECTS / "boltapi", proj)
    settings = proj / "site_boltapi" / "settings.py"
    settings.write_text(settings.read_text() + (
        "from django_bolt.auth import JWTAuthentication, IsAuthenticated\n"
        "BOLT_AUTHENTICATION = [JWTAuthentication()]\nBOLT_DEFAULT_GUARDS = [IsAuthenticated()]\n"))
    server = BoltProcess.start(cwd=proj)
    try:
        assert fetch(server.port, "GET", "/hello").status == 401
        tok = _native.jwt_encode("HS256", b"test", json.dumps({"sub": "1", "exp": int(time.time()) + 60}).encode())
        assert fetch(server.port, "GET", "/hello", headers=bearer(tok)).status == 200
    finally:
        server.stop()


def test_refresh_token_rotation(server, users):
    pair = fetch(server.port, "POST", "/token/pair", headers=[("Content-Type", "application/json")],
                 body=json_body({"username": "bob", "password": "pw-bob"})).json()
    assert fetch(server.port, "GET", "/secure/whoami", headers=bearer(pair["access"])).status == 200
    # A refresh token is not an access token.
    assert fetch(server.port, "GET", "/secure/whoami", headers=bearer(pair["refresh"])).status == 401
    new = fetch(server.port, "POST", "/token/refresh", headers=[("Content-Type", "application/json")],
                body=json_body({"refresh": pair["refresh"]}))
    assert new.status == 200
    assert fetch(server.port, "GET", "/secure/whoami", headers=bearer(new.json()["access"])).json()["user"] == "bob"
    # The old refresh token is spent.
    again = fetch(server.port, "POST", "/token/refresh", headers=[("Content-Type", "application/json")],
                  body=json_body({"refresh": pair["refresh"]}))
    assert again.status == 401
    assert again.json() == {"detail": "refresh token already used"}


def test_rate_limit_per_user(server, users):
    alice, bob = bearer(valid(users["alice"])), bearer(valid(users["bob"]))
    assert fetch(server.port, "GET", "/secure/limited-per-user", headers=alice).status == 200
    assert fetch(server.port, "GET", "/secure/limited-per-user", headers=alice).status == 429
    # Another user from the same address has a bucket of their own.
    assert fetch(server.port, "GET", "/secure/limited-per-user", headers=bob).status == 200


def test_custom_sync_function_guard(server, users):
    h = bearer(valid(users["bob"]))
    assert fetch(server.port, "GET", "/secure/sync-guard", headers=h).status == 200
    assert fetch(server.port, "GET", "/secure/sync-guard", headers=h + [("X-Day", "sunday")]).status == 403
