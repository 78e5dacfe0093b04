"""A django-bolt 0.13 project's route middleware, served by bolt (tests/compat/test_moving_server.py):
``Router(middleware=...)`` nested in order, django-bolt's ``{"type": ...}`` configs for CORS and
rate limits on routers and routes, ``skip_middleware("cors"/"rate_limit")``, and
``File(max_size=, allowed_types=, max_files=)``."""

from typing import Annotated

from django_bolt import BoltAPI, Request, Router, UploadFile
from django_bolt.middleware import Middleware, middleware, skip_middleware
from django_bolt.param_functions import File


def tagging(name):
    """A middleware class that records its name in the request and on the response."""

    class Tag(Middleware):
        async def process_request(self, request):
            request.state.setdefault("order", []).append(name)
            response = await self.get_response(request)
            response.headers[f"x-{name}"] = "1"
            return response

    Tag.__name__ = f"Tag{name.title()}"
    return Tag


api = BoltAPI(middleware=[tagging("app")])

outer = Router(prefix="/o", middleware=[tagging("outer"), {"type": "rate_limit", "rps": 1, "burst": 2}])
inner = Router(prefix="/i", middleware=[tagging("inner")], parent=outer)


@inner.get("/order")
@middleware(tagging("route"))
async def order(request: Request) -> dict:
    return {"order": request.state["order"]}


@inner.get("/unlimited")
@skip_middleware("rate_limit", "TagOuter")
async def unlimited(request: Request) -> dict:
    return {"order": request.state["order"]}


api.include_router(outer)


@api.get("/cors/project")
async def cors_project() -> dict:
    return {}


@api.get("/cors/skipped")
@skip_middleware("cors")
async def cors_skipped() -> dict:
    return {}


@api.get("/cors/config")
@middleware(cors={"origins": ["https://other.example"]})
async def cors_config() -> dict:
    return {}


@api.post("/upload/avatar")
async def avatar(
    avatar: Annotated[UploadFile, File(max_size=64, allowed_types=["image/*", "application/pdf"])],
) -> dict:
    return {"size": avatar.size, "type": avatar.content_type}


@api.post("/upload/docs")
def docs(docs: list[UploadFile] = File(max_files=2, allowed_types=["text/plain"])) -> dict:
    return {"n": len(docs)}


# django-bolt's documentation examples (site_moving/examples/), each page's APIs mounted under
# /ex/<page>/<n> (tests/compat/docs/test_docs_server.py). The model examples are in-process only.
from .examples import (  # noqa: E402
    auth,
    compression,
    dependencies,
    exceptions,
    openapi,
    quickstart,
    requests,
    responses,
    routing,
    views,
    websocket,
)

docs = BoltAPI()
for _page in (
    routing,
    requests,
    responses,
    auth,
    views,
    openapi,
    dependencies,
    exceptions,
    compression,
    quickstart,
    websocket,
):
    for _i, _api in enumerate(_page.APIS):
        docs.mount(f"/ex/{_page.__name__.rpartition('.')[2]}/{_i}", _api)


# Rows of the compat table (tests/compat/test_more_rows.py): responses.File, validate_response=.
from pathlib import Path  # noqa: E402

from django_bolt import Struct  # noqa: E402
from django_bolt.responses import File as FileDownload  # noqa: E402

rows = BoltAPI(prefix="/rows")


class Row(Struct):
    id: int


@rows.get("/download")
async def download():
    return FileDownload(str(Path(__file__).with_name("people.csv")), filename="people.csv")


@rows.get("/unchecked", response_model=Row, validate_response=False)
async def unchecked():
    return {"id": "not a number"}
