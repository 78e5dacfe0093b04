"""``support.wire.fetch`` for the test client: the same request served in this process by
``django_bolt.testing.TestClient``, its answer as a ``support.wire.Response``. Tests of the
Python API (parameters, bodies, forms) use it with the ``app`` fixture; given a port instead, it
is ``support.wire.fetch`` over a socket (for a module whose few wire tests share its helpers)."""

from __future__ import annotations

from collections.abc import Iterable

from django_bolt.testing import TestClient
from support import wire
from support.wire import Response


def fetch(
    client: TestClient | int,
    method: str,
    target: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
) -> Response:
    if isinstance(client, int):
        return wire.fetch(client, method, target, headers=headers, body=body)
    r = client.request(method, target, headers=list(headers), content=body)
    return Response(
        version="1.1",
        status=r.status_code,
        reason=r.reason_phrase,
        headers=[(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in r.headers.raw],
        body=r.content,
        raw=b"",
    )
