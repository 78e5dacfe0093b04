"""The README's "API docs" example, run through the test client: the document says what the
example says it does."""

from __future__ import annotations

from django_bolt import BoltAPI, NotFound, Struct
from django_bolt.openapi import OpenAPIConfig, RedocRenderPlugin, SwaggerRenderPlugin
from django_bolt.openapi.spec import Server
from django_bolt.testing import TestClient


class Item(Struct):
    id: int


def test_readme_docs_example(demo_apis):
    api = BoltAPI(
        openapi_config=OpenAPIConfig(
            title="Shop",
            version="2.0.0",
            description="...",
            servers=[Server(url="https://api.example.com")],
            render_plugins=[SwaggerRenderPlugin(path="/"), RedocRenderPlugin()],
        )
    )

    @api.get(
        "/items/{id}",
        response_model={200: Item, 404: NotFound},
        tags=["items"],
        summary="One item",
        operation_id="get_item",
    )
    async def get_item(id: int) -> Item:
        """Shown as the operation's description."""
        if id == 0:
            raise NotFound("none")
        return Item(id=id)

    @api.get("/internal", include_in_schema=False)
    def internal() -> dict:
        return {}

    with TestClient(api) as c:
        doc = c.get("/docs/openapi.json").json()
        assert (doc["info"]["title"], doc["info"]["version"]) == ("Shop", "2.0.0")
        assert doc["servers"] == [{"url": "https://api.example.com"}]
        assert list(doc["paths"]) == ["/items/{id}"]
        op = doc["paths"]["/items/{id}"]["get"]
        assert (op["operationId"], op["summary"], op["tags"]) == ("get_item", "One item", ["items"])
        assert op["description"] == "Shown as the operation's description."
        assert sorted(op["responses"]) == ["200", "404", "422"]
        assert c.get("/docs").status_code == 200 and "swagger-ui" in c.get("/docs").text
        assert c.get("/docs/redoc").status_code == 200
        assert c.get("/docs/scalar").status_code == 404  # not among this config's plugins
        assert c.get("/items/0").json() == {"detail": "none"}
