"""django-bolt 0.13's WebSocket page (docs/src/topics/websocket.md), its examples as written.

Where the page cannot run as printed: names its snippets use without importing them are imported
(``WebSocketDisconnect``, ``Annotated``/``Query``, ``CloseCode``: ``# defined:``); the one-line
snippets (sending, receiving, closing, state) are put in handlers; examples that reuse a path get
their own (``# path:``); ``CloseCode.NORMAL_CLOSURE`` is ``CloseCode.NORMAL`` (the page's name is
not django-bolt 0.13's either: ``# changed:``). "Testing WebSockets" calls ``client.websocket_connect``, which neither
django-bolt 0.13's ``TestClient`` nor this one has: tests/compat/docs/test_websocket.py uses
``WebSocketTestClient``, django-bolt's client, instead. A typed parameter that does not convert is
refused with 422 and FastAPI's error list here, where the page says 400 and a line of text
(docs/compat.md, ``@api.websocket``).
"""

from typing import Annotated

from django_bolt import BoltAPI, CloseCode, WebSocket, WebSocketDisconnect, WebSocketState  # defined
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.param_functions import Query  # defined

api = BoltAPI()


@api.websocket("/ws/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(f"Echo: {message}")


@api.websocket("/ws/chat")
async def chat(websocket: WebSocket):
    # 1. Accept the connection
    await websocket.accept()

    try:
        # 2. Communication loop
        while True:
            message = await websocket.receive_text()
            await websocket.send_text(f"You said: {message}")
    except WebSocketDisconnect:
        # 3. Client disconnected
        pass


@api.websocket("/ws/kinds")  # the "Sending messages" / "Receiving messages" snippets in one handler
async def kinds(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("Hello, World!")
    await websocket.send_bytes(b"\x00\x01\x02\x03")
    await websocket.send_json({"type": "message", "data": "Hello"})
    message = await websocket.receive_text()
    data = await websocket.receive_bytes()
    obj = await websocket.receive_json()
    await websocket.send_json({"text": message, "bytes": len(data), "json": obj})
    async for data in websocket.iter_json():
        await websocket.send_json({"again": data})


@api.websocket("/ws/room/{room_id}")
async def room(websocket: WebSocket, room_id: str):
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(f"[{room_id}] {message}")


@api.websocket("/ws/connect")
async def connect(websocket: WebSocket, token: str | None = None):
    if token != "secret":
        await websocket.close(code=4001, reason="Invalid token")
        return

    await websocket.accept()
    # ...
    await websocket.send_text("connected")  # the page's `# ...`


@api.websocket("/ws/feed")
async def feed(websocket: WebSocket, limit: Annotated[int, Query()] = 10):
    await websocket.accept()
    await websocket.send_json({"limit": limit})


@api.websocket("/ws/close")  # the "From the server" snippet
async def close_normally(websocket: WebSocket):
    await websocket.accept()
    await websocket.close(code=1000, reason="Normal closure")


@api.websocket("/ws/close-code")  # the CloseCode snippet
async def close_with_code(websocket: WebSocket):
    await websocket.accept()
    await websocket.close(code=CloseCode.NORMAL)  # changed: NORMAL_CLOSURE, a name django-bolt 0.13 has not either


disconnected = []


@api.websocket("/ws")
async def handler(websocket: WebSocket):
    await websocket.accept()
    try:
        async for message in websocket.iter_text():
            await websocket.send_text(message)
    except WebSocketDisconnect:
        print("Client disconnected")
        disconnected.append(True)  # added: so a test can see whether the branch runs


@api.websocket("/ws/protected", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def protected(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("Welcome")


@api.websocket(
    "/ws/cookie/protected",  # path: /ws/protected
    auth=[JWTAuthentication(cookie="access_token")],
    guards=[IsAuthenticated()],
)
async def protected_by_cookie(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("Welcome")  # added: the page's handler only accepts


@api.websocket("/ws/state")  # the "WebSocket state" snippet
async def state(websocket: WebSocket):
    before = websocket.state
    await websocket.accept()
    if websocket.state == WebSocketState.CONNECTED:
        await websocket.send_text("Still connected")
    await websocket.send_json({"before": before == WebSocketState.CONNECTING})


connected_clients = set()


@api.websocket("/ws/broadcast")
async def broadcast(websocket: WebSocket):
    await websocket.accept()
    connected_clients.add(websocket)

    try:
        async for message in websocket.iter_text():
            # Broadcast to all clients
            for client in connected_clients:
                await client.send_text(message)
    finally:
        connected_clients.discard(websocket)


rooms = {}  # room_id -> set of websockets


@api.websocket("/ws/rooms/{room_id}")  # path: /ws/room/{room_id}
async def room_chat(websocket: WebSocket, room_id: str):
    await websocket.accept()

    if room_id not in rooms:
        rooms[room_id] = set()
    rooms[room_id].add(websocket)

    try:
        async for message in websocket.iter_text():
            for client in rooms[room_id]:
                await client.send_text(f"[{room_id}] {message}")
    finally:
        rooms[room_id].discard(websocket)


APIS = [api]
