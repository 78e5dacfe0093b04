"""Persistent API keys: created and revoked with manage.py, checked in Rust with a per-core cache."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from boltproc import DEMO, server_env
from wire import fetch


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "bolt_apikey", *args], cwd=DEMO, env=server_env(),
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def owner(demo_db):
    subprocess.run([sys.executable, "manage.py", "shell", "-c",
                    "from django.contrib.auth.models import User; User.objects.get_or_create(username='keyowner')"],
                   cwd=DEMO, env=server_env(), check=True, capture_output=True)
    return "keyowner"


def create(owner: str, *scopes: str) -> str:
    r = manage("create", "--name", "test", "--user", owner, *[a for s in scopes for a in ("--scope", s)])
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
    assert fetch(server.port, "GET", "/keyed/whoami").status == 401


def test_the_database_keeps_only_a_hash(server, owner):
    key = create(owner)
    code = ("from django_bolt.models import APIKey; import sys\n"
            f"k = APIKey.objects.get(prefix='{key.split('_')[1]}')\n"
            f"print(k.hashed_key != '{key}' and '{key}' not in str(vars(k)))\n")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=DEMO, env=server_env(),
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "True"


def test_revocation_reaches_every_core_within_the_ttl(server2, owner):
    key = create(owner)
    h = [("X-API-Key", key)]
    # Warm both cores' caches (fresh connections spread over the two SO_REUSEPORT listeners).
    for _ in range(20):
        assert fetch(server2.port, "GET", "/keyed/whoami", headers=h).status == 200
    r = manage("revoke", key.split("_")[1])
    assert r.returncode == 0, r.stderr
    time.sleep(1.5)  # the demo's cache TTL is 1 s
    statuses = {fetch(server2.port, "GET", "/keyed/whoami", headers=h).status for _ in range(20)}
    assert statuses == {401}


def test_list_shows_state(owner):
    key = create(owner)
    manage("revoke", key.split("_")[1])
    listing = manage("list").stdout
    assert f"{key.split('_')[1]}\trevoked" in listing


def test_in_memory_keys(server):
    assert fetch(server.port, "GET", "/static-key", headers=[("X-API-Key", "test-key-1")]).status == 200
    assert fetch(server.port, "GET", "/static-key", headers=[("X-API-Key", "other")]).status == 401


def test_key_whose_secret_contains_underscores_is_found(demo_db):
    # Regression: token_urlsafe secrets may contain "_", which split the key into too many parts.
    code = ("from django_bolt.models import APIKey, hash_key\n"
            "raw = 'bolt_abcd1234_sec_ret_with__underscores'\n"
            "APIKey.objects.filter(prefix='abcd1234').delete()\n"
            "APIKey.objects.create(name='u', prefix='abcd1234', hashed_key=hash_key(raw))\n"
            "print(APIKey.objects.lookup(raw) is not None, APIKey.objects.lookup(raw + 'x') is None)\n")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=DEMO, env=server_env(),
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "True True"
