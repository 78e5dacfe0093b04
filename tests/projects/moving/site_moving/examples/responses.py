"""django-bolt 0.13's responses page (docs/src/topics/responses.md), its examples as written.

Where bolt differs: ``import msgspec`` is ``from django_bolt.compat import msgspec``; examples
that reuse one path get their own (``# path:``); the streams sleep 0 s, not 0.1/1 s, so the tests
stay quick (``# sleep:``); ``responses.File`` and ``render`` with templates are left out
(docs/compat.md: ``responses.File`` is missing; ``render`` needs a template directory), as are the
``FileResponse`` examples (their paths do not exist; tests/files covers it); ``find_item`` and
``try_delete``, which the page assumes, are defined.
"""

import asyncio
from collections.abc import AsyncIterable

from django_bolt import JSON, BoltAPI, Cookie, Response, StreamingResponse, status
from django_bolt.compat import msgspec
from django_bolt.exceptions import HTTPException
from django_bolt.responses import HTML, EventSourceResponse, PlainText, Redirect

api = BoltAPI()


@api.get("/data")
async def get_data():
    return {"message": "Hello", "count": 42}


@api.get("/items")
async def get_items():
    return [{"id": 1}, {"id": 2}]


@api.post("/users")
async def create_user():
    return JSON({"id": 1, "username": "john"}, status_code=201, headers={"X-Created-By": "django-bolt"})


@api.post("/users-status", status_code=status.HTTP_201_CREATED)  # path: /users
async def create_user_with_status():
    return {"id": 2}


@api.get("/hello")
async def hello():
    return PlainText("Hello, World!")


@api.get("/status")
async def status_view():  # bolt: named status() in the page, which hides the status module above
    return PlainText("OK", status_code=200, headers={"X-Status": "healthy"})


@api.get("/page")
async def page():
    return HTML("<h1>Welcome</h1><p>This is HTML content.</p>")


@api.get("/old-page")
async def old_page():
    return Redirect("/new-page")


@api.get("/external")
async def external():
    return Redirect("https://example.com", status_code=302)


@api.get("/stream")
async def stream():
    def generate():
        for i in range(100):
            yield f"chunk {i}\n"

    return StreamingResponse(generate(), media_type="text/plain")


@api.get("/async-stream")
async def async_stream():
    async def generate():
        for i in range(10):
            await asyncio.sleep(0)  # sleep: 0.1 in the page
            yield f"data: {i}\n\n"

    return StreamingResponse(generate(), media_type="text/event-stream")


@api.get("/events", response_class=EventSourceResponse)
async def events() -> AsyncIterable[dict]:
    for i in range(10):
        yield {"count": i}
        await asyncio.sleep(0)  # sleep: 1 in the page


@api.options("/items")
async def options_items():
    return Response({}, status_code=204, headers={"Allow": "GET, POST, PUT, DELETE"})


@api.post("/login")
async def login():
    return JSON({"message": "Logged in"}).set_cookie(
        name="session",
        value="abc123",
        max_age=3600,  # Expires in 3600 seconds
        path="/",  # Cookie path (default: "/")
        domain=".example.com",  # Cookie domain
        secure=True,  # Only send over HTTPS
        httponly=True,  # Not accessible via JavaScript
        samesite="Lax",  # CSRF protection: "Strict", "Lax", or "None"
    )


@api.post("/login-two")  # path: /login
async def login_two():
    return (
        Response({"logged_in": True})
        .set_cookie("session", "abc123", httponly=True)
        .set_cookie("preferences", "dark-mode", max_age=86400 * 365)
    )


@api.post("/logout")
async def logout():
    return Response({"logged_out": True}).delete_cookie("session")


@api.post("/refresh")
async def refresh():
    return Response({"refreshed": True}).delete_cookie("old_session").set_cookie("new_session", "xyz789", httponly=True)


def session_cookie_header() -> str:
    cookie = Cookie(
        name="session",
        value="abc123",
        max_age=3600,
        secure=True,
        httponly=True,
        samesite="Strict",
    )

    # Get the Set-Cookie header value
    return cookie.to_header_value()


class User(msgspec.Struct):
    id: int
    username: str
    email: str


@api.get("/users/{user_id}", response_model=User)
async def get_user(user_id: int):
    return {"id": user_id, "username": "john", "email": "john@example.com"}


@api.get("/annotated/users/{user_id}")  # path: /users/{user_id}
async def get_user_annotated(user_id: int) -> User:
    return {"id": user_id, "username": "john", "email": "john@example.com"}


class Item(msgspec.Struct):
    id: int
    name: str


class Error(msgspec.Struct):
    detail: str


ITEMS = {1: Item(id=1, name="Alice")}


async def find_item(item_id):
    return ITEMS.get(item_id)


async def try_delete(item_id):
    return item_id in ITEMS


@api.get("/items/{item_id}", response_model={200: Item, 404: Error})
async def get_item(item_id: int):
    item = await find_item(item_id)
    if item is None:
        return 404, {"detail": "Item not found"}
    return 200, {"id": item.id, "name": item.name}


@api.delete("/items/{item_id}", response_model={204: None, 404: Error})
async def delete_item(item_id: int):
    deleted = await try_delete(item_id)
    if not deleted:
        return 404, {"detail": "Item not found"}
    return 204, None


@api.post("/items", response_model={201: Item, 400: Error}, status_code=201)
async def create_item():
    return {"id": 1, "name": "New"}  # bare return uses 201 instead of auto-detected


class Plan(msgspec.Struct):
    id: int


healthy = False


@api.post("/plans/{pk}/start", response_model={200: Plan, 400: Error})
async def start_plan(request, pk: int) -> Plan:
    if not healthy:
        raise HTTPException(400, body=Error(detail="not healthy"))
    return Plan(id=pk)


@api.get("/text")
async def text():
    return "Hello"  # Content-Type: text/plain


@api.get("/bytes")
async def bytes_response():
    return b"binary data"  # Content-Type: application/octet-stream


@api.delete("/gone/{item_id}", status_code=204)  # path: /items/{item_id}
async def delete_gone(item_id: int):
    # ... delete the item ...
    return Response(status_code=204)


APIS = [api]
