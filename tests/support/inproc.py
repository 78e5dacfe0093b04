"""``support.wire.fetch`` for the test client: the same request served in this process by
``django_bolt.testing.TestClient``, its answer as a ``support.wire.Response``. Tests of the
Python API (parameters, bodies, guards) use it; tests of the wire keep real sockets."""

from __future__ import annotations

from collections.abc import Iterable

from django_bolt.testing import TestClient
from support.wire import Response


def fetch(
    client: TestClient,
    method: str,
    target: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
) -> Response:
    r = client.request(method, target, headers=list(headers), content=body)
    return Response(
        version="1.1",
        status=r.status_code,
        reason=r.reason_phrase,
        headers=[(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in r.headers.raw],
        body=r.content,
        raw=b"",
    )
