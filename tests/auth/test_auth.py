"""JWT authentication (verified in Rust) and guards (Rust for claims, Python for the rest)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import shutil
import subprocess
import time

import pytest

from django_bolt import _native
from support.boltproc import BoltProcess
from support.paths import DEMO
from support.projects import copy_project, manage_shell
from support.tokens import SECRET, mint
from support.wire import fetch, json_body


def b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def hs256(header: dict, claims: dict, key: bytes) -> str:
    """An HS256 JWT with exactly ``header``, signed here (RFC 7515: HMAC-SHA256 of header.payload)."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


@pytest.fixture(scope="module")
def users(demo_db):
    # alice: staff, may change people; bob: nothing; carol: superuser (not staff);
    # dave: may change and delete people.
    code = (
        "from django.contrib.auth.models import User, Permission\n"
        "for name, staff, superuser in (('alice', True, False), ('bob', False, False), ('carol', False, True),\n"
        "                               ('dave', False, False)):\n"
        "    u, _ = User.objects.get_or_create(username=name)\n"
        "    u.is_staff, u.is_superuser = staff, superuser\n"
        "    u.set_password('pw-' + name)\n"
        "    u.save()\n"
        "a = User.objects.get(username='alice')\n"
        "a.user_permissions.set([Permission.objects.get(codename='change_person')])\n"
        "d = User.objects.get(username='dave')\n"
        "d.user_permissions.set(Permission.objects.filter(codename__in=['change_person', 'delete_person']))\n"
        "print(*[User.objects.get(username=n).pk for n in ('alice', 'bob', 'carol', 'dave')])\n"
    )
    out = manage_shell(code).strip().splitlines()[-1].split()
    return dict(zip(("alice", "bob", "carol", "dave"), out))


def _demo_jwt_keys():
    """examples/demo/demo/jwt_keys.py (stdlib only), loaded by path: the demo's key pairs."""
    spec = importlib.util.spec_from_file_location("demo_jwt_keys", DEMO / "demo" / "jwt_keys.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def jwt_keys(demo_db):
    """The folder of the demo's key pairs (``<kind>.key`` private, ``<kind>.pub`` public): the same
    files the server's /claims/jwt/* routes were configured with (made with openssl on first use)."""
    folder = _demo_jwt_keys().ensure_keys()
    assert folder is not None, "the asymmetric JWT tests need the `openssl` command"
    return folder


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory, jwt_keys):
    """A second key pair of every kind, made here: right type, wrong key."""
    folder = tmp_path_factory.mktemp("other-keys")
    for kind, args in _demo_jwt_keys().KINDS.items():
        subprocess.run(
            [shutil.which("openssl"), "genpkey", *args, "-out", str(folder / f"{kind}.key")],
            check=True,
            capture_output=True,
        )
    return folder


def bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def valid(sub: str, **extra) -> str:
    return mint({"sub": sub, "exp": int(time.time()) + 300, **extra})


def test_token_endpoint_issues_a_working_jwt(server, users):
    resp = fetch(
        server.port,
        "POST",
        "/token",
        headers=[("Content-Type", "application/json")],
        body=json_body({"username": "alice", "password": "pw-alice"}),
    )
    assert resp.status == 200
    tok = resp.json()["access"]
    me = fetch(server.port, "GET", "/secure/whoami", headers=bearer(tok))
    assert me.status == 200
    assert me.json() == {"sub": users["alice"], "user": "alice"}


def test_wrong_password_is_401(server, users):
    resp = fetch(
        server.port,
        "POST",
        "/token",
        headers=[("Content-Type", "application/json")],
        body=json_body({"username": "alice", "password": "nope"}),
    )
    assert resp.status == 401


def test_no_credentials_is_401_with_www_authenticate(server):
    resp = fetch(server.port, "GET", "/secure/whoami")
    assert resp.status == 401
    assert resp.header("www-authenticate") == "Bearer"


def _rejected(server, headers):
    resp = fetch(server.port, "GET", "/secure/whoami", headers=headers)
    assert resp.status == 401, resp.body
    assert (
        resp.header(
            "www-authenticate",
        )
        is not None
    )
    return resp


def test_rejects_alg_none(server, users):
    tok = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': users['alice'], 'exp': int(time.time()) + 300})}."
    _rejected(server, bearer(tok))


def test_rejects_public_key_used_as_hmac_secret(server, users, jwt_keys):
    """The classic confusion, against a route configured for RS256 with this public key: an
    HS256 token whose HMAC secret is the public key's PEM must not get in, while a real RS256
    token signed with the matching private key does (same route, same claims)."""
    claims = {"sub": users["alice"], "exp": int(time.time()) + 300}
    pem = (jwt_keys / "rsa.pub").read_bytes()
    good = _native.jwt_encode("RS256", (jwt_keys / "rsa.key").read_bytes(), json.dumps(claims).encode())
    ok = fetch(server.port, "GET", "/claims/jwt/rs256-only", headers=bearer(good))
    assert ok.status == 200, ok.body
    assert ok.json() == {"sub": users["alice"]}
    for secret in (pem, pem.strip()):
        for header in ({"alg": "HS256", "typ": "JWT"}, {"alg": "HS256"}):
            forged = hs256(header, claims, secret)
            resp = fetch(server.port, "GET", "/claims/jwt/rs256-only", headers=bearer(forged))
            assert resp.status == 401, (header, resp.body)
            assert resp.header("www-authenticate") is not None
    # The route that takes every RS*/PS* algorithm refuses it as well.
    assert (
        fetch(server.port, "GET", "/claims/jwt/rsa", headers=bearer(hs256({"alg": "HS256"}, claims, pem))).status == 401
    )


EMBEDDED_KEYS = {
    "jwk": {"kty": "oct", "k": "YXR0YWNrZXItc2VjcmV0"},
    "jku": "https://evil.example/keys",
    "x5u": "https://evil.example/cert.pem",
    "x5c": ["MIIBszCCAVmgAwIBAgIUEvil"],
}


@pytest.mark.parametrize("field", list(EMBEDDED_KEYS))
def test_rejects_a_header_supplying_its_own_key(server, users, field):
    claims = {"sub": users["alice"], "exp": int(time.time()) + 300}
    header = {"alg": "HS256", "typ": "JWT", field: EMBEDDED_KEYS[field]}
    # Signed with the key the header supplies (what an attacker does).
    _rejected(server, bearer(hs256(header, claims, b"attacker-secret")))
    # Even signed with our own key: a token naming its own key source is refused for that alone,
    # so only the embedded-key check can reject this one.
    resp = _rejected(server, bearer(hs256(header, claims, SECRET)))
    assert "supplies its own key" in resp.json()["detail"]
    assert (
        fetch(
            server.port,
            "GET",
            "/secure/hello-jwt",
            headers=bearer(hs256({"alg": "HS256", "typ": "JWT"}, claims, SECRET)),
        ).status
        == 200
    )


def test_kid_header_never_chooses_the_key(server, users):
    """Our verifier has one configured key and looks nothing up by ``kid``. So a token signed
    with that key verifies whatever its ``kid`` names, and a token signed with the key its
    ``kid`` points at (a file path, another key's name) is refused."""
    claims = {"sub": users["alice"], "exp": int(time.time()) + 300}
    for kid in ("../../../../dev/null", "other-key", ""):
        header = {"alg": "HS256", "typ": "JWT", "kid": kid}
        ok = fetch(server.port, "GET", "/secure/whoami", headers=bearer(hs256(header, claims, SECRET)))
        assert ok.status == 200, (kid, ok.body)
        assert ok.json() == {"sub": users["alice"], "user": "alice"}
    # Signed with what the kid names: /dev/null's contents (empty), or the key called "other-key".
    _rejected(server, bearer(hs256({"alg": "HS256", "kid": "../../../../dev/null"}, claims, b"")))
    _rejected(server, bearer(hs256({"alg": "HS256", "kid": "other-key"}, claims, b"other-key")))


def test_rejects_expired_token(server, users):
    resp = _rejected(server, bearer(mint({"sub": users["alice"], "exp": int(time.time()) - 120})))
    assert "expired" in resp.json()["detail"]


def test_tokens_verified_before_keep_their_own_claims(server, users):
    # Each core keeps the payloads of tokens it has verified (src/auth/verified.rs): the same
    # tokens again, interleaved, must each still answer for their own user, and a token
    # differing from a kept one by its signature alone must not be taken for it.
    alice, bob = valid(users["alice"]), valid(users["bob"])
    for _ in range(4):
        for token, name in ((alice, "alice"), (bob, "bob")):
            resp = fetch(server.port, "GET", "/secure/whoami", headers=bearer(token))
            assert resp.status == 200, resp.body
            assert resp.json() == {"sub": users[name], "user": name}
    h, p, sig = alice.split(".")
    _rejected(server, bearer(f"{h}.{p}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"))


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
    assert (
        fetch(server.port, "GET", "/secure/not-admin", headers=bearer(valid(users["bob"], role="admin"))).status == 403
    )
    assert (
        fetch(
            server.port, "GET", "/secure/not-admin", headers=bearer(valid(users["bob"], role="admin", scope="override"))
        ).status
        == 200
    )


def test_staff_guard_reads_the_django_user(server, users):
    assert fetch(server.port, "GET", "/secure/staff", headers=bearer(valid(users["alice"]))).json() == {
        "staff": "alice"
    }
    assert fetch(server.port, "GET", "/secure/staff", headers=bearer(valid(users["bob"]))).status == 403


def test_permission_guard(server, users):
    assert fetch(server.port, "GET", "/secure/perm", headers=bearer(valid(users["alice"]))).status == 200
    assert fetch(server.port, "GET", "/secure/perm", headers=bearer(valid(users["bob"]))).status == 403
    anonymous = fetch(server.port, "GET", "/secure/perm")  # a Python guard on a JWT route
    assert anonymous.status == 401 and anonymous.header("www-authenticate") == "Bearer"


def test_custom_async_guard(server, users):
    h = bearer(valid(users["bob"]))
    assert fetch(server.port, "GET", "/secure/custom", headers=h).status == 200
    assert fetch(server.port, "GET", "/secure/custom", headers=h + [("X-Banned", "1")]).status == 403
    anonymous = fetch(server.port, "GET", "/secure/custom", headers=[("X-Banned", "1")])
    assert anonymous.status == 401 and anonymous.header("www-authenticate") == "Bearer"
    teapot = fetch(server.port, "GET", "/secure/custom", headers=h + [("X-Banned", "teapot")])
    assert teapot.status == 418 and teapot.json() == {"detail": "banned teapots"}


def test_unguarded_routes_ignore_tokens(server):
    assert fetch(server.port, "GET", "/hello", headers=[("Authorization", "garbage")]).status == 200


def test_request_auth_reads_claims_as_any_fields_do(server):
    """request.auth is decoded by the same untyped decoder as `Any` body fields: a 30-digit
    claim arrives as an exact int (it used to be a float that lost digits). Signed here:
    _native.jwt_encode re-serialises its claims, which would rewrite the number."""
    wide = 10**30 + 1
    token = hs256({"alg": "HS256", "typ": "JWT"}, {"sub": wide, "exp": int(time.time()) + 300}, SECRET)
    resp = fetch(server.port, "GET", "/claims/guards/allow-any", headers=bearer(token))
    assert resp.status == 200, resp.body
    assert str(wide).encode() in resp.body
    assert resp.json() == {"sub": wide}


def test_settings_provide_default_auth_and_guards(tmp_path, driver):
    """BOLT_AUTHENTICATION / BOLT_DEFAULT_GUARDS apply to routes that set neither."""
    proj = copy_project(
        "boltapi",
        tmp_path / "p",
        settings=(
            "from django_bolt.auth import JWTAuthentication, IsAuthenticated\n"
            "BOLT_AUTHENTICATION = [JWTAuthentication()]\nBOLT_DEFAULT_GUARDS = [IsAuthenticated()]\n"
        ),
    )
    server = BoltProcess.start(cwd=proj, driver=driver)
    try:
        refused = fetch(server.port, "GET", "/hello")
        assert refused.status == 401 and refused.header("www-authenticate") == "Bearer"
        tok = _native.jwt_encode("HS256", b"test", json.dumps({"sub": "1", "exp": int(time.time()) + 60}).encode())
        assert fetch(server.port, "GET", "/hello", headers=bearer(tok)).status == 200
    finally:
        server.stop()


def test_refresh_token_rotation(server, users):
    pair = fetch(
        server.port,
        "POST",
        "/token/pair",
        headers=[("Content-Type", "application/json")],
        body=json_body({"username": "bob", "password": "pw-bob"}),
    ).json()
    assert fetch(server.port, "GET", "/secure/whoami", headers=bearer(pair["access"])).status == 200
    # A refresh token is not an access token, nor an access token a refresh token (in Rust).
    assert fetch(server.port, "GET", "/secure/whoami", headers=bearer(pair["refresh"])).status == 401
    wrong = fetch(server.port, "POST", "/token/refresh", headers=bearer(pair["access"]), body=b"")
    assert wrong.status == 401 and wrong.json() == {"detail": 'invalid token: token type must be "refresh"'}
    new = fetch(server.port, "POST", "/token/refresh", headers=bearer(pair["refresh"]), body=b"")
    assert new.status == 200
    assert fetch(server.port, "GET", "/secure/whoami", headers=bearer(new.json()["access"])).json()["user"] == "bob"
    # The old refresh token is spent; replaying it is reuse, which revokes its whole family, so
    # the token it was rotated to is refused as well.
    again = fetch(server.port, "POST", "/token/refresh", headers=bearer(pair["refresh"]), body=b"")
    assert again.status == 401
    assert again.json() == {"detail": "Invalid token"}
    burned = fetch(server.port, "POST", "/token/refresh", headers=bearer(new.json()["refresh"]), body=b"")
    assert burned.status == 401


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


# ----------------------------------------------------------------------------------------------
# Asymmetric algorithms, with real keys: RS*/PS* (RSA), ES256 (P-256), ES384 (P-384), EdDSA (Ed25519)

ASYMMETRIC = [
    *[(alg, "rsa", "/claims/jwt/rsa") for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")],
    ("ES256", "p256", "/claims/jwt/es256"),
    ("ES384", "p384", "/claims/jwt/es384"),
    ("EdDSA", "ed25519", "/claims/jwt/eddsa"),
]


@pytest.mark.parametrize(("alg", "kind", "route"), ASYMMETRIC, ids=[a for a, _, _ in ASYMMETRIC])
def test_asymmetric_algorithms_verify_with_the_public_key(server, users, jwt_keys, other_keys, alg, kind, route):
    claims = {"sub": users["bob"], "exp": int(time.time()) + 300}
    key = (jwt_keys / f"{kind}.key").read_bytes()
    token = _native.jwt_encode(alg, key, json.dumps(claims).encode())
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == alg
    ok = fetch(server.port, "GET", route, headers=bearer(token))
    assert ok.status == 200, ok.body
    assert ok.json() == {"sub": users["bob"]}
    # Same algorithm, another key of the same type: refused.
    stranger = _native.jwt_encode(alg, (other_keys / f"{kind}.key").read_bytes(), json.dumps(claims).encode())
    assert fetch(server.port, "GET", route, headers=bearer(stranger)).status == 401
    # Tampered payload, signature kept: refused.
    h, _, sig = token.split(".")
    forged = f"{h}.{b64({'sub': users['alice'], 'exp': claims['exp']})}.{sig}"
    assert fetch(server.port, "GET", route, headers=bearer(forged)).status == 401
    # Expired, properly signed: refused as expired.
    old = _native.jwt_encode(alg, key, json.dumps({"sub": users["bob"], "exp": int(time.time()) - 120}).encode())
    expired = fetch(server.port, "GET", route, headers=bearer(old))
    assert expired.status == 401 and "expired" in expired.json()["detail"]
    # An HS256 token (the server's SECRET_KEY) is not one of this route's algorithms.
    assert fetch(server.port, "GET", route, headers=bearer(valid(users["bob"]))).status == 401


def test_each_route_takes_only_its_own_algorithms(server, users, jwt_keys):
    """A valid ES256 token is refused by the RSA route and an RS256 one by the ES256 route."""
    claims = json.dumps({"sub": users["bob"], "exp": int(time.time()) + 300}).encode()
    es = _native.jwt_encode("ES256", (jwt_keys / "p256.key").read_bytes(), claims)
    rs = _native.jwt_encode("RS256", (jwt_keys / "rsa.key").read_bytes(), claims)
    assert fetch(server.port, "GET", "/claims/jwt/es256", headers=bearer(es)).status == 200
    assert fetch(server.port, "GET", "/claims/jwt/rsa", headers=bearer(es)).status == 401
    assert fetch(server.port, "GET", "/claims/jwt/rsa", headers=bearer(rs)).status == 200
    assert fetch(server.port, "GET", "/claims/jwt/es256", headers=bearer(rs)).status == 401


# ----------------------------------------------------------------------------------------------
# AllowAny, IsAdminUser, HasAnyPermission, HasAllPermissions


def test_allow_any_lets_anonymous_requests_in_but_still_checks_tokens(server, users):
    anon = fetch(server.port, "GET", "/claims/guards/allow-any")
    assert anon.status == 200 and anon.json() == {"sub": None}
    known = fetch(server.port, "GET", "/claims/guards/allow-any", headers=bearer(valid(users["bob"])))
    assert known.status == 200 and known.json() == {"sub": users["bob"]}
    # AllowAny opens the route, it does not switch authentication off: a bad token is still a 401.
    bad = mint({"sub": users["bob"], "exp": int(time.time()) + 300}, secret=b"not-our-key")
    assert fetch(server.port, "GET", "/claims/guards/allow-any", headers=bearer(bad)).status == 401


def test_is_admin_user_means_superuser(server, users):
    ok = fetch(server.port, "GET", "/claims/guards/admin", headers=bearer(valid(users["carol"])))
    assert ok.status == 200 and ok.json() == {"admin": "carol"}
    # Staff is not enough (alice), nor is a plain user (bob); no token at all is a 401.
    assert fetch(server.port, "GET", "/claims/guards/admin", headers=bearer(valid(users["alice"]))).status == 403
    assert fetch(server.port, "GET", "/claims/guards/admin", headers=bearer(valid(users["bob"]))).status == 403
    assert fetch(server.port, "GET", "/claims/guards/admin").status == 401


@pytest.mark.parametrize(
    ("route", "allowed", "refused"),
    [
        ("/claims/guards/any-perm", ["alice", "dave", "carol"], ["bob"]),
        ("/claims/guards/all-perms", ["dave", "carol"], ["alice", "bob"]),
    ],
    ids=["HasAnyPermission", "HasAllPermissions"],
)
def test_has_any_and_has_all_permissions(server, users, route, allowed, refused):
    # alice may change people, dave may change and delete them, carol is a superuser, bob has nothing.
    for name in allowed:
        resp = fetch(server.port, "GET", route, headers=bearer(valid(users[name])))
        assert resp.status == 200 and resp.json() == {"user": name}, (name, resp.body)
    for name in refused:
        assert fetch(server.port, "GET", route, headers=bearer(valid(users[name]))).status == 403, name
    assert fetch(server.port, "GET", route).status == 401
