"""Content negotiation (tests/routing/test_negotiation.py): routes that offer more than JSON,
chosen by the request's ``Accept``. Served under /neg (collected from demo/api.py)."""

from __future__ import annotations

from django_bolt import BoltAPI

negotiation = BoltAPI(prefix="/neg")
CALLS = {"n": 0}


@negotiation.get("/item", renderers=("json", "msgpack"))
def item() -> dict:
    """JSON by default; MessagePack for a client that asks for it."""
    CALLS["n"] += 1
    return {"id": 7, "name": "pen", "tags": ["a", "b"], "price": 1.5, "stock": None}


@negotiation.get("/greeting", renderers=("text", "json"))
def greeting(name: str = "world") -> str:
    """text/plain unless the client prefers JSON."""
    return f"hello {name}"


@negotiation.get("/calls")
def calls() -> dict:
    """How often /neg/item ran (a 406 must not run it)."""
    return dict(CALLS)
