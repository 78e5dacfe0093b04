"""Raw ASGI apps (no framework) mounted beside a bolt route, and Django's own app at /dj."""

import asyncio
import json
import os
import threading
from pathlib import Path

from asgiref.wsgi import WsgiToAsgi

from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/app/route")
async def route_under_mount() -> dict:
    return {"from": "bolt"}


async def echo(scope, receive, send):
    """Says what it was given; /missing is its own 404."""
    message = await receive()
    if scope["path"] == "/missing":
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"echo has no such page"})
        return
    seen = {
        "type": scope["type"],
        "method": scope["method"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode(),
        "root_path": scope["root_path"],
        "query_string": scope["query_string"].decode(),
        "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
        "http_version": scope["http_version"],
        "scheme": scope["scheme"],
        "asgi": scope["asgi"],
        "client": list(scope["client"]),
        "body": message["body"].decode(),
        "more_body": message["more_body"],
        # Each core serves from its own thread: which one ran this app.
        "thread": threading.get_native_id(),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


async def ticker(scope, receive, send):
    """Three chunks 0.4 s apart: each must reach the client before the next is made."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for i in range(3):
        await send({"type": "http.response.body", "body": f"tick {i}\n".encode(), "more_body": True})
        await asyncio.sleep(0.4)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def endless(scope, receive, send):
    """Streams until its client goes; then leaves a mark in $ASGIMOUNT_MARKS (named by the
    query string) for the test."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    try:
        while True:
            await send({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
            await asyncio.sleep(0.01)
    except asyncio.CancelledError:
        Path(os.environ["ASGIMOUNT_MARKS"], f"endless-{scope['query_string'].decode()}").write_text("cancelled")
        raise


async def fails_midway(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first part", "more_body": True})
    await asyncio.sleep(0.05)
    raise ValueError("mounted app broke mid-stream")


async def broken(scope, receive, send):
    raise ValueError("mounted app broke")


async def silent(scope, receive, send):
    await receive()


async def ws_echo(scope, receive, send):
    """A WebSocket app: tells what its scope says, echoes text upper-cased and bytes reversed,
    closes with 4001 on "bye", refuses (closes before accepting) for ``?deny``; leaves a mark
    in $ASGIMOUNT_MARKS with the code of the client's close."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"plain GET under a WebSocket mount"})
        return
    first = await receive()
    assert first["type"] == "websocket.connect", first
    if scope["query_string"] == b"deny":
        await send({"type": "websocket.close", "code": 1008})
        return
    offered = scope["subprotocols"]
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": offered[-1] if offered else None,
            "headers": [(b"x-mounted", b"yes")],
        }
    )
    seen = {k: scope[k] for k in ("type", "path", "root_path", "scheme", "subprotocols", "http_version")}
    seen.update(
        raw_path=scope["raw_path"].decode(),
        query_string=scope["query_string"].decode(),
        headers=[[k.decode(), v.decode()] for k, v in scope["headers"]],
        client=list(scope["client"]),
    )
    await send({"type": "websocket.send", "text": json.dumps(seen)})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            Path(os.environ["ASGIMOUNT_MARKS"], f"ws-left-{message['code']}").write_text("left")
            return
        if message.get("text") == "bye":
            await send({"type": "websocket.close", "code": 4001, "reason": "bye bye"})
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"].upper()})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"][::-1]})


async def slow_start(scope, receive, send):
    """Takes longer than BOLT_ASGI_MOUNT_TIMEOUT (settings.py) to start its response; leaves a
    mark when it is stopped."""
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        Path(os.environ["ASGIMOUNT_MARKS"], "slow-stopped").write_text("cancelled")
        raise
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"too late"})


async def redirector(scope, receive, send):
    """Redirects to a root-relative URL, as an app that knows nothing of its mount would."""
    await send({"type": "http.response.start", "status": 302, "headers": [(b"location", b"/elsewhere")]})
    await send({"type": "http.response.body", "body": b""})


api.mount_asgi("/app", echo)
# Under a path Django's fallthrough also claims (the admin's catch-all): the mount comes first.
api.mount_asgi("/admin/mounted", echo)
api.mount_asgi("/stream", ticker)
api.mount_asgi("/endless", endless)
api.mount_asgi("/midway", fails_midway)
api.mount_asgi("/broken", broken)
api.mount_asgi("/silent", silent)
api.mount_asgi("/wsapp", ws_echo)
api.mount_asgi("/slow", slow_start)


def wsgi_app(environ, start_response):
    """A WSGI app behind asgiref's adapter, which calls send() from its own thread."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    body = environ["wsgi.input"].read().decode()
    return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}|{environ['QUERY_STRING']}|{body}".encode()]


api.mount_asgi("/wsgi", WsgiToAsgi(wsgi_app))
api.mount_django("/dj")
api.mount_django("/moved", redirector)
