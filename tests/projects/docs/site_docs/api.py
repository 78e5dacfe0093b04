"""One route, and the docs configured by ``DOCS_CASE`` (tests/docs_ui/test_docs_server.py):

- ``off``: ``OpenAPIConfig(enabled=False)``, no docs at all;
- ``guarded``: docs at ``/api-docs`` behind an API key (``docs-key``) and a scope that key lacks;
- ``conflict``: the project serves ``GET /docs`` itself (a start-up error).
"""

import os

from django_bolt import BoltAPI
from django_bolt.auth import APIKeyAuthentication, Requires
from django_bolt.openapi import OpenAPIConfig

api = BoltAPI()


@api.get("/items/{id}")
def item(id: int) -> dict:
    return {"id": id}


CASE = os.environ.get("DOCS_CASE", "")
if CASE == "off":
    api.openapi_config = OpenAPIConfig(enabled=False)
elif CASE == "guarded":
    api.openapi_config = OpenAPIConfig(
        path="/api-docs", auth=[APIKeyAuthentication(keys={"docs-key"})], guards=[Requires("scopes", "docs")]
    )
elif CASE == "conflict":

    @api.get("/docs")
    def own_docs() -> dict:
        return {"mine": True}
