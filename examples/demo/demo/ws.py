"""WebSocket routes, under /ws (collected from demo/api.py, which imports this module).
tests/ws/ requests each of them over real sockets."""

from __future__ import annotations

import asyncio
import sys

from django_bolt import BoltAPI, CloseCode, WebSocket, WebSocketDisconnect
from django_bolt.auth import (
    APIKeyAuthentication,
    BasePermission,
    IsAuthenticated,
    JWTAuthentication,
    SessionAuthentication,
)

ws = BoltAPI(prefix="/ws")

#: Close codes the /ws/watch handlers saw when their clients left (one core serves the tests).
seen_disconnects: list[int] = []


# The README's example (tests/ws/test_readme.py runs it).
@ws.websocket("/rooms/{room}")
async def room(websocket: WebSocket, room: str, since: int = 0):
    await websocket.accept(subprotocol="chat" if "chat" in websocket.subprotocols else None)
    await websocket.send_json({"room": room, "since": since})
    async for message in websocket.iter_json():
        await websocket.send_json({"room": room, "echo": message})


@ws.websocket("/echo")
async def echo(websocket: WebSocket):
    """Text back as text, bytes back as bytes."""
    await websocket.accept(headers=[(b"x-echo", b"yes")])
    while True:
        message = await websocket.receive()
        if "text" in message:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@ws.websocket("/refuse")
async def refuse(websocket: WebSocket):
    """Closes before accepting: the handshake is answered 403."""
    await websocket.close()


@ws.websocket("/fail")
async def fail(websocket: WebSocket):
    """Raises before accepting: the handshake is answered 500."""
    raise RuntimeError("fails before accept")


@ws.websocket("/crash")
async def crash(websocket: WebSocket):
    """Raises after accepting: the socket is closed with 1011."""
    await websocket.accept()
    await websocket.receive_text()
    raise RuntimeError("fails after accept")


@ws.websocket("/bye")
async def bye(websocket: WebSocket):
    """Closes with the code and reason the client asks for (``4001 reason``)."""
    await websocket.accept()
    code, _, reason = (await websocket.receive_text()).partition(" ")
    await websocket.close(int(code), reason)


@ws.websocket("/burst")
async def burst(websocket: WebSocket, n: int = 10, size: int = 10):
    """Sends ``n`` messages of ``size`` bytes as fast as it can, then closes."""
    await websocket.accept()
    payload = "x" * size
    for i in range(n):
        await websocket.send_text(f"{i}:{payload}")
    await websocket.close(CloseCode.NORMAL, "done")


@ws.websocket("/watch")
async def watch(websocket: WebSocket):
    """Records how its client left (read back through /ws/disconnects)."""
    await websocket.accept()
    try:
        while True:
            await websocket.receive()
    except WebSocketDisconnect as e:
        seen_disconnects.append(e.code)
        raise


@ws.get("/disconnects")
async def disconnects() -> list[int]:
    return seen_disconnects


@ws.websocket("/secure", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def secure(websocket: WebSocket):
    """Only for a valid JWT: 401 before the handshake without one."""
    await websocket.accept()
    await websocket.send_json({"sub": (websocket.auth or {}).get("sub")})
    await websocket.close()


@ws.websocket("/slow")
async def slow(websocket: WebSocket):
    """Reads nothing for a second, then reports how many messages were waiting."""
    await websocket.accept()
    await asyncio.sleep(1)
    count = 0
    async for _ in websocket.iter_bytes():
        count += 1
        if count % 1000 == 0:
            await websocket.send_text(str(count))


@ws.websocket("/goodbye")
async def goodbye(websocket: WebSocket, name: str = "?"):
    """Reads until its client leaves; however it ends, its ``finally`` prints how (on stderr),
    which tests/ws/test_shutdown.py reads after a graceful stop."""
    await websocket.accept()
    how = "no disconnect"
    try:
        while True:
            await websocket.receive()
    except WebSocketDisconnect as e:
        how = f"disconnect {e.code}"
        raise
    finally:
        print(f"ws-finally {name}: {how}", file=sys.stderr, flush=True)


@ws.websocket("/ticker")
async def ticker(websocket: WebSocket, name: str = "?"):
    """Only sends (a tick every 50 ms, never receives): it learns its client is gone from
    ``send``; its ``finally`` prints how, as /goodbye's."""
    await websocket.accept()
    how = "no disconnect"
    try:
        for i in range(1_000_000):
            await websocket.send_text(str(i))
            await asyncio.sleep(0.05)
    except WebSocketDisconnect as e:
        how = f"disconnect {e.code}"
    finally:
        print(f"ws-finally {name}: {how}", file=sys.stderr, flush=True)


@ws.websocket("/session", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
async def session_socket(websocket: WebSocket):
    """Django's session (checked in Python, before the handshake is answered): 403 without a
    logged-in session cookie, else the user's name."""
    await websocket.accept()
    user = await websocket.auser()
    await websocket.send_json({"user": user.username})
    await websocket.close()


class HasPass(BasePermission):
    """A guard in Python: the handshake must carry ``X-Pass: yes``."""

    def has_permission(self, request) -> bool:
        return request.headers.get("x-pass") == "yes"


@ws.websocket("/guarded", guards=[HasPass()])
async def guarded(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("passed")
    await websocket.close()


@ws.websocket("/keyed", auth=[APIKeyAuthentication(keys={"ws-key"})], guards=[IsAuthenticated()])
async def keyed(websocket: WebSocket):
    """An API key checked in Rust: 401 ``ApiKey`` without a good ``X-API-Key``."""
    await websocket.accept()
    await websocket.send_text("key ok")
    await websocket.close()


@ws.websocket("/jwt-or-session", auth=[JWTAuthentication(), SessionAuthentication()], guards=[IsAuthenticated()])
async def jwt_or_session(websocket: WebSocket):
    """A token (Rust) or else a session (Python): 401 ``Bearer`` with neither."""
    await websocket.accept()
    user = await websocket.auser()
    await websocket.send_json({"user": user.username, "claims": websocket.auth is not None})
    await websocket.close()
