"""Request-edge rows, served over a real ``bolt`` (tests/cors, tests/bodies, tests/params and
tests/server use it): errors answered before a handler runs, as a browser and this API's
``error_formatter`` see them (413, a ``File(max_size=...)`` refusal while the body arrives); QUERY
in the default CORS methods; ``DJANGO_BOLT_MAX_PARAM_LENGTH``; ``X-Forwarded-Proto`` (the scheme
of requests and WebSockets, ``build_absolute_uri()``)."""

from typing import Annotated

from django_bolt import BoltAPI, Request, Struct, UploadFile, WebSocket
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.error_handlers import problem_details
from django_bolt.params import File, Form, Header, Query

api = BoltAPI(error_formatter=problem_details)


class Item(Struct):
    name: str
    price: float


@api.post("/items")
async def create_item(item: Item) -> dict:
    return {"name": item.name}


@api.get("/private", auth=[JWTAuthentication(secret="edges-test")], guards=[IsAuthenticated()])
def private() -> dict:
    return {"private": True}


@api.post("/upload/capped")
async def capped(file: Annotated[UploadFile, File(max_size=1024)]) -> dict:
    return {"size": file.size}


@api.query("/search")
def search(body: dict) -> dict:
    return {"asked": body}


@api.get("/p/{value}")
def path_value(value: str) -> dict:
    return {"length": len(value)}


@api.get("/q")
def query_value(value: str = Query()) -> dict:
    return {"length": len(value)}


@api.get("/h")
def header_value(x_value: str = Header()) -> dict:
    return {"length": len(x_value)}


@api.post("/f")
def form_value(value: Annotated[str, Form()]) -> dict:
    return {"length": len(value)}


@api.get("/scheme")
def scheme(request: Request) -> dict:
    return {"scheme": request.scheme, "proto": request.META.get("HTTP_X_FORWARDED_PROTO")}


@api.get("/uri/{name}")
def uri(request: Request, name: str) -> dict:
    return {
        "here": request.build_absolute_uri(),
        "sibling": request.build_absolute_uri("other?page=2"),
        "rooted": request.build_absolute_uri("/items/7"),
        "elsewhere": request.build_absolute_uri("https://cdn.example.net/x.js"),
        "host": request.get_host(),
        "secure": request.is_secure(),
    }


@api.websocket("/ws/scheme")
async def ws_scheme(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(websocket.scheme)
    await websocket.close()
