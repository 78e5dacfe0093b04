"""Composition over a real server: a Router, a mounted API, trailing-slash modes, a namespace,
lifespans (their start-up and shut-down lines go to the file $COMPOSE_LIFESPAN_LOG)."""

import asyncio
import contextlib
import os
import threading

from django.urls import reverse

from django_bolt import BoltAPI, Router, _native
from django_bolt.error_handlers import problem_details
from django_bolt.exceptions import NotFound

#: What this interpreter's lifespan start-up set (a module global: one per interpreter).
STATE: dict = {}


def _log(line: str) -> None:
    path = os.environ.get("COMPOSE_LIFESPAN_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{line} {os.getpid()} {_native.interp_id()} {threading.get_native_id()}\n")


@contextlib.asynccontextmanager
async def lifespan(app):
    await asyncio.sleep(0)  # really async: runs on the core's loop
    STATE["started_in"] = _native.interp_id()
    STATE["app"] = app.title
    _log("start")
    yield
    _log("stop")


@contextlib.asynccontextmanager
async def child_lifespan(app):
    _log("child-start")
    yield
    _log("child-stop")


api = BoltAPI(title="compose", lifespan=lifespan)

users = Router(prefix="/users", tags=["users"])


@users.get("")
def list_users() -> list:
    return [{"id": 1}]


@users.get("/{user_id}/", name="user-detail")
def get_user(user_id: int) -> dict:
    return {"id": user_id}


@users.post("/")
def create_user(body: dict) -> dict:
    return {"created": body}


api.include_router(users, prefix="/v1")


@api.get("/state")
def state() -> dict:
    return {"interp": _native.interp_id(), **STATE}


@api.get("/reverse")
def reversed_names() -> dict:
    return {
        "user": reverse("user-detail", kwargs={"user_id": 7}),
        "item": reverse("shop:item", kwargs={"item_id": 3}),
        "ping": reverse("ping"),
    }


shop = BoltAPI(prefix="/shop", trailing_slash="append", namespace="shop")


@shop.get("/items/{item_id}", name="item")
def item(item_id: int) -> dict:
    return {"item": item_id}


child = BoltAPI(lifespan=child_lifespan)


@child.get("/ping")
def ping() -> dict:
    return {"pong": True}


api.mount("/child", child)


# RFC 9457 problem details for this API's errors (the others keep {"detail": ...}).
problems = BoltAPI(prefix="/problems", error_formatter=problem_details)


@problems.get("/books/{book_id}")
def book(book_id: int) -> dict:
    raise NotFound(f"no book {book_id}")


@problems.get("/crash")
async def crash() -> dict:
    raise ValueError("a bug")
