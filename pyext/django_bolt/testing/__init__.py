"""Test clients that serve a ``BoltAPI`` in the test's own interpreter and thread, with no socket.

>>> with TestClient(api) as client:
...     assert client.get("/items/1").json() == {"id": 1}

Requests go through the server's own path (``src/runtime/inprocess.rs``): the same request
parser, routing, parameter coercion, body decoding, auth, guards, CORS, rate limits, encoding,
error mapping and response header set as ``bolt``. ``WebSocketTestClient`` opens a WebSocket
the same way. Handlers run on the calling thread, so
under pytest-django they use the test's database connection and see its rows.
"""

from .client import (
    AsyncTestClient,
    BoltTestClientWarning,
    SharedTestConnectionError,
    TestClient,
    create_test_client,
)
from .websocket import ConnectionClosed, HandshakeRejected, WebSocketClient, WebSocketTestClient

__all__ = [
    "TestClient",
    "AsyncTestClient",
    "create_test_client",
    "BoltTestClientWarning",
    "SharedTestConnectionError",
    "WebSocketTestClient",
    "WebSocketClient",
    "HandshakeRejected",
    "ConnectionClosed",
]
