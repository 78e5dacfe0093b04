"""@rate_limit: a token bucket per client per core, 429 with Retry-After."""

from __future__ import annotations

import math
import uuid

from support.wire import fetch, get_until_close


def _assert_too_many(resp, rps: float) -> None:
    """A 429 from a bucket refilling at ``rps`` tokens/s: the body, and a Retry-After in whole
    seconds that is at least 1 and no longer than one token takes to come back."""
    assert resp.status == 429, resp.body
    assert resp.json() == {"detail": "Too Many Requests"}
    retry = resp.header("retry-after")
    assert retry is not None and retry.isdigit(), resp.headers
    assert 1 <= int(retry) <= math.ceil(1 / rps), retry


def test_burst_then_429_with_retry_after(server):
    responses = [fetch(server.port, "GET", "/limited") for _ in range(6)]  # rps=2, burst=3
    statuses = [r.status for r in responses]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    # Every refusal, not just a later request that may or may not be refused, carries the body
    # and Retry-After; the requests let through carry no Retry-After.
    for resp in responses:
        if resp.status == 429:
            _assert_too_many(resp, rps=2)
        else:
            assert resp.status == 200 and resp.header("retry-after") is None, resp.headers


def test_header_keys_have_their_own_buckets(server):
    assert fetch(server.port, "GET", "/limited/by-key", headers=[("X-API-Key", "alice")]).status == 200
    over = fetch(server.port, "GET", "/limited/by-key", headers=[("X-API-Key", "alice")])
    assert over.status == 429
    _assert_too_many(over, rps=1)
    assert fetch(server.port, "GET", "/limited/by-key", headers=[("X-API-Key", "bob")]).status == 200


def test_any_header_can_be_the_key(server):
    """key="x-tenant": one bucket per value of that header."""
    tenant = f"t-{uuid.uuid4().hex}"
    assert fetch(server.port, "GET", "/claims/limited/by-tenant", headers=[("X-Tenant", tenant)]).status == 200
    _assert_too_many(fetch(server.port, "GET", "/claims/limited/by-tenant", headers=[("X-Tenant", tenant)]), rps=1)
    other = fetch(server.port, "GET", "/claims/limited/by-tenant", headers=[("X-Tenant", tenant + "-other")])
    assert other.status == 200


def _get_from(port: int, source: str, xff: str | None):
    extra = f"X-Forwarded-For: {xff}\r\n".encode() if xff else b""
    return get_until_close(port, b"/limited/by-key", source=source, headers=extra)


def test_forwarded_for_is_believed_only_from_trusted_proxies(server):
    # 127.0.0.2 is a trusted proxy in the demo settings: each forwarded client gets a bucket.
    assert _get_from(server.port, "127.0.0.2", "198.51.100.1").status == 200
    assert _get_from(server.port, "127.0.0.2", "198.51.100.2").status == 200
    assert _get_from(server.port, "127.0.0.2", "198.51.100.1").status == 429
    # From an untrusted peer the header is ignored: forging new addresses does not help.
    assert _get_from(server.port, "127.0.0.3", "203.0.113.1").status == 200
    assert _get_from(server.port, "127.0.0.3", "203.0.113.2").status == 429
