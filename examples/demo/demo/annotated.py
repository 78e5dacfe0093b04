"""Parameters in FastAPI's recommended spelling, ``x: Annotated[T, Query(...)] = default``, next
to the older ``x: T = Query(default, ...)``: every marker, defaults, ``= None``, constraints, and
``Annotated[T, Depends(fn)]``. Served under /annotated (collected from demo/api.py, which imports
this module)."""

from __future__ import annotations

from typing import Annotated

from django_bolt import Body, BoltAPI, Depends, File, Form, Header, Path, Query, Struct, UploadFile
from django_bolt.param_functions import Cookie

annotated = BoltAPI(prefix="/annotated")


@annotated.get("/query")
def query(
    plain: int = Query(1, ge=0),
    k: Annotated[int, Query(ge=0)] = 2,
    page: Annotated[int, Query(alias="p", ge=1, le=100)] = 1,
    maybe: Annotated[int | None, Query()] = None,
    bare_none: Annotated[int, Query()] = None,  # type: ignore[assignment] - `= None` makes it optional
    word: Annotated[str, Query(min_length=2, pattern="^[a-z]+$")] = "hi",
    tags: Annotated[list[str], Query(max_length=2)] = [],  # noqa: B006
) -> dict:
    return {"plain": plain, "k": k, "page": page, "maybe": maybe, "bare_none": bare_none, "word": word, "tags": tags}


@annotated.get("/query/required")
def query_required(k: Annotated[int, Query(ge=0)], plain: int = Query(ge=0)) -> dict:
    """No default in either spelling: both are required."""
    return {"k": k, "plain": plain}


@annotated.get("/query/inside")
def query_inside(k: Annotated[int, Query(5, ge=0)]) -> dict:
    """A default inside the marker alone still counts."""
    return {"k": k}


@annotated.get("/path/{n}")
def path(n: Annotated[int, Path(ge=1)]) -> dict:
    return {"n": n}


@annotated.get("/headers")
def headers(
    x_mode: str = Header(default="plain"),
    x_level: Annotated[int, Header(ge=1, le=5)] = 3,
    x_trace: Annotated[str | None, Header()] = None,
    key: Annotated[str, Header(alias="X-Key")] = "anon",
) -> dict:
    return {"x_mode": x_mode, "x_level": x_level, "x_trace": x_trace, "key": key}


@annotated.get("/cookies")
def cookies(
    sid: str = Cookie("none"),
    theme: Annotated[str, Cookie(pattern="^(dark|light)$")] = "light",
    lang: Annotated[str | None, Cookie(alias="l")] = None,
) -> dict:
    return {"sid": sid, "theme": theme, "lang": lang}


@annotated.post("/form")
def form(
    name: str = Form("anon"),
    age: Annotated[int, Form(ge=0)] = 18,
    nick: Annotated[str | None, Form(max_length=8)] = None,
) -> dict:
    return {"name": name, "age": age, "nick": nick}


class Pet(Struct):
    name: str
    legs: int = 4


@annotated.post("/body")
def body(pet: Annotated[Pet | None, Body()] = None) -> dict:
    return {"pet": pet}


@annotated.post("/body/plain")
def body_plain(pet: Pet | None = Body(None)) -> dict:
    return {"pet": pet}


@annotated.post("/body/embedded")
def body_embedded(
    note: Annotated[str, Body(embed=True, max_length=5)] = "none", count: int = Body(1, embed=True, ge=0)
) -> dict:
    return {"note": note, "count": count}


@annotated.post("/upload")
def upload(
    title: Annotated[str, Form()] = "untitled",
    doc: Annotated[UploadFile | None, File()] = None,
    old: UploadFile | None = File(None),
    extra: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> dict:
    return {
        "title": title,
        "doc": doc.filename if doc else None,
        "old": old.filename if old else None,
        "extra": [f.filename for f in extra],
    }


# --- Annotated[T, Depends(fn)] ------------------------------------------------------------------

CALLS = {"config": 0}


def config() -> dict:
    CALLS["config"] += 1
    return {"greeting": "hi", "calls": CALLS["config"]}


async def current_pet(cfg: Annotated[dict, Depends(config)], x_pet: Annotated[str, Header()] = "rex") -> Pet:
    """A dependency taking its own dependency and header in the Annotated spelling; it returns a
    Struct, which must not make the parameter naming it a JSON body."""
    return Pet(name=f"{cfg['greeting']} {x_pet}")


@annotated.get("/depends")
async def depends(
    pet: Annotated[Pet, Depends(current_pet)],
    cfg: Annotated[dict, Depends(config)],
    old: dict = Depends(config),
    loud: Annotated[bool, Query()] = False,
) -> dict:
    # config runs once per request although three parameters name it (use_cache).
    return {"pet": pet.name.upper() if loud else pet.name, "greeting": cfg["greeting"], "same": old is cfg}
