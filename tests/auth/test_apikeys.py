"""Persistent API keys: created and revoked with manage.py, checked in Rust with a per-core cache."""

from __future__ import annotations

import re
import subprocess
import time
import uuid

import pytest

from support.boltproc import server_env
from support.paths import DEMO
from support.projects import manage, manage_argv, manage_shell
from support.session import csrf_token, logged_in
from support.wire import Conn, fetch


@pytest.fixture(scope="module")
def owner(demo_db):
    manage_shell("from django.contrib.auth.models import User; User.objects.get_or_create(username='keyowner')")
    return "keyowner"


def create(owner: str, *scopes: str) -> str:
    r = manage("bolt_apikey", "create", "--name", "test", "--user", owner, *[a for s in scopes for a in ("--scope", s)])
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert key.startswith("bolt_") and "cannot be shown again" in r.stderr
    return key


def test_key_authenticates_as_its_owner_with_scopes(server, owner):
    key = create(owner, "read", "write")
    resp = fetch(server.port, "GET", "/keyed/whoami", headers=[("X-API-Key", key)])
    assert resp.status == 200
    body = resp.json()
    assert body["owner"] == "keyowner" and body["scopes"] == ["read", "write"]
    assert fetch(server.port, "GET", "/keyed/write", headers=[("X-API-Key", key)]).status == 200


def test_scope_guard_refuses_a_read_only_key(server, owner):
    key = create(owner, "read")
    assert fetch(server.port, "GET", "/keyed/write", headers=[("X-API-Key", key)]).status == 403


def test_unknown_or_missing_key_is_401(server):
    assert fetch(server.port, "GET", "/keyed/whoami", headers=[("X-API-Key", "bolt_deadbeef_nope")]).status == 401
    missing = fetch(server.port, "GET", "/keyed/whoami")
    assert missing.status == 401
    # The guard refused an anonymous request on an API-key route: the scheme is named.
    assert missing.header("www-authenticate") == "ApiKey"


def test_the_database_keeps_only_a_hash(server, owner):
    key = create(owner)
    code = (
        "from django_bolt.models import APIKey; import sys\n"
        f"k = APIKey.objects.get(prefix='{key.split('_')[1]}')\n"
        f"print(k.hashed_key != '{key}' and '{key}' not in str(vars(k)))\n"
    )
    out = manage_shell(code).strip().splitlines()[-1]
    assert out == "True"


def _connection_per_core(port: int, cores: int = 2, attempts: int = 200) -> dict[int, Conn]:
    """One open keep-alive connection per worker, keyed by the interpreter that answers on it. A
    connection stays on the core that accepted it (test_workers), so whatever is asked on it later
    is answered by that core."""
    conns: dict[int, Conn] = {}
    for _ in range(attempts):
        conn = Conn(port)
        interp = conn.request("GET", "/whoami").json()["interp_id"]
        if interp in conns:
            conn.close()
        else:
            conns[interp] = conn
        if len(conns) == cores:
            return conns
    for c in conns.values():
        c.close()
    raise AssertionError(f"only reached interpreters {sorted(conns)} in {attempts} connections")


class Revoker:
    """``manage.py bolt_apikey revoke`` run inside an already started Django shell, so a key is
    revoked within milliseconds of the request (a fresh manage.py takes about a second to start,
    longer than the demo's 1 s cache)."""

    CODE = (
        "import sys\nfrom django.core.management import call_command\n"
        "print('@@ready', flush=True)\n"
        "for line in sys.stdin:\n"
        "    call_command('bolt_apikey', 'revoke', line.strip())\n"
        "    print('@@revoked', flush=True)\n"
    )

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            manage_argv("shell", "-c", self.CODE),
            cwd=DEMO,
            env=server_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._until("@@ready")

    def _until(self, marker: str) -> None:
        for line in self.proc.stdout:
            if line.strip() == marker:
                return
        raise AssertionError(f"manage.py shell ended before {marker} (exit {self.proc.wait()})")

    def revoke(self, prefix: str) -> None:
        self.proc.stdin.write(prefix + "\n")
        self.proc.stdin.flush()
        self._until("@@revoked")

    def close(self) -> None:
        self.proc.stdin.close()
        code = self.proc.wait(30)
        self.proc.stdout.close()
        assert code == 0


def test_revocation_reaches_every_core_within_the_ttl(server2, owner):
    key = create(owner)
    h = [("X-API-Key", key)]
    revoker = Revoker()
    conns = _connection_per_core(server2.port)
    try:
        # Each core serves the key (so each has it cached as valid) just before the revocation.
        for interp, conn in conns.items():
            for _ in range(3):
                resp = conn.request("GET", "/keyed/whoami", headers=h)
                assert resp.status == 200, (interp, resp.body)
            assert conn.request("GET", "/whoami").json()["interp_id"] == interp  # still that core
        warmed = time.monotonic()
        revoker.revoke(key.split("_")[1])
        # Revoked while both cores' cache entries were still fresh (the demo's TTL is 1 s).
        assert time.monotonic() - warmed < 0.5
        time.sleep(1.5)
        # Every core refuses it now, each asked on its own connection.
        for interp, conn in conns.items():
            resp = conn.request("GET", "/keyed/whoami", headers=h)
            assert resp.status == 401, (interp, resp.body)
            assert conn.request("GET", "/whoami").json()["interp_id"] == interp
    finally:
        for c in conns.values():
            c.close()
        revoker.close()
    statuses = {fetch(server2.port, "GET", "/keyed/whoami", headers=h).status for _ in range(20)}
    assert statuses == {401}


def test_list_shows_state(owner):
    key = create(owner)
    manage("bolt_apikey", "revoke", key.split("_")[1])
    listing = manage("bolt_apikey", "list").stdout
    assert f"{key.split('_')[1]}\trevoked" in listing


def test_in_memory_keys(server):
    assert fetch(server.port, "GET", "/static-key", headers=[("X-API-Key", "test-key-1")]).status == 200
    assert fetch(server.port, "GET", "/static-key", headers=[("X-API-Key", "other")]).status == 401


def test_key_whose_secret_contains_underscores_is_found(demo_db):
    # Regression: token_urlsafe secrets may contain "_", which split the key into too many parts.
    code = (
        "from django_bolt.models import APIKey, hash_key\n"
        "raw = 'bolt_abcd1234_sec_ret_with__underscores'\n"
        "APIKey.objects.filter(prefix='abcd1234').delete()\n"
        "APIKey.objects.create(name='u', prefix='abcd1234', hashed_key=hash_key(raw))\n"
        "print(APIKey.objects.lookup(raw) is not None, APIKey.objects.lookup(raw + 'x') is None)\n"
    )
    out = manage_shell(code).strip().splitlines()[-1]
    assert out == "True True"


def test_keys_are_listed_and_revoked_in_the_admin(server, owner, admin_user):
    """The APIKey admin lists keys (never the key itself) and its action revokes them."""
    name = f"admin-{uuid.uuid4().hex[:8]}"
    r = manage("bolt_apikey", "create", "--name", name, "--user", owner)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    prefix = key.split("_")[1]
    assert fetch(server.port, "GET", "/keyed/whoami", headers=[("X-API-Key", key)]).status == 200
    b = logged_in(server, admin_user)
    resp, page = b.request("GET", f"/admin/django_bolt/apikey/?q={name}")
    assert resp.status == 200
    assert name in page and prefix in page
    assert key not in page and key.split("_", 2)[2] not in page
    m = re.search(r'name="_selected_action" value="(\d+)"', page)
    assert m, page[:2000]
    token = csrf_token(page)
    resp, _ = b.request(
        "POST",
        f"/admin/django_bolt/apikey/?q={name}",
        form={
            "csrfmiddlewaretoken": token,
            "action": "revoke",
            "select_across": "0",
            "index": "0",
            "_selected_action": m.group(1),
        },
        referer=True,
    )
    assert resp.status == 302, "the revoke action did not redirect back"
    assert f"{prefix}\trevoked" in manage("bolt_apikey", "list").stdout
    time.sleep(1.5)  # the demo's cache TTL
    assert fetch(server.port, "GET", "/keyed/whoami", headers=[("X-API-Key", key)]).status == 401
