# xxlimited_35 is a CPython extension built with single-phase init: it imports in the main
# interpreter but is refused by own-GIL sub-interpreters, like msgspec or orjson are.
import xxlimited_35  # noqa: F401

from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/hello")
def hello() -> dict:
    return {"ok": True}
