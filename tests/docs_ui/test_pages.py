"""The docs pages and routes in-process: what each page references, which routes a config gives,
and that a worker generates the document once (the server tests check the same over HTTP)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from django_bolt import BoltAPI
from django_bolt.api import RouteConflictError
from django_bolt.auth import APIKeyAuthentication, IsAuthenticated
from django_bolt.openapi import (
    JsonRenderPlugin,
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
    _assets,
    schema_generator,
)
from django_bolt.openapi import (
    routes as docs,
)

DOC = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, "paths": {}}
UI_PLUGINS = [SwaggerRenderPlugin, RedocRenderPlugin, ScalarRenderPlugin, RapidocRenderPlugin, StoplightRenderPlugin]


class Refs(HTMLParser):
    """Every URL a page makes the browser load or link to (src and href of any tag)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def refs(page: str) -> list[str]:
    parser = Refs()
    parser.feed(page)
    return parser.urls


@pytest.fixture
def assets_present():
    missing = _assets.missing()
    assert not missing, f"docs assets missing ({missing}): run scripts/docs_assets.py"


@pytest.mark.parametrize("plugin", UI_PLUGINS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("docs_path", ["/docs", "/api/v1/docs"])
def test_each_page_loads_only_bundled_files_under_the_docs_path(plugin, docs_path, assets_present):
    page = plugin().render(DOC, f"{docs_path}/openapi.json")
    urls = refs(page)
    assert urls, page
    for url in urls:
        assert url.startswith(f"{docs_path}/assets/"), url
        ui, version, file = url.removeprefix(f"{docs_path}/assets/").split("/")
        assert version == _assets.version(ui)
        assert (_assets.ROOT / ui / version / file).is_file(), url
    assert f"{docs_path}/openapi.json" in page
    assert "<title>Shop</title>" in page
    assert "http:" not in page and "https:" not in page and "//" not in page.replace("<!DOCTYPE", "")


def test_the_title_and_the_options_cannot_break_out_of_the_page():
    doc = {**DOC, "info": {"title": "</title><script>alert(1)</script>", "version": "1"}}
    page = SwaggerRenderPlugin(options={"x": "</script><script>alert(2)"}).render(doc, "/docs/openapi.json")
    assert "<script>alert" not in page
    assert "&lt;/title&gt;&lt;script&gt;" in page
    assert '"x": "\\u003c/script>\\u003cscript>alert(2)"' in page
    page = RapidocRenderPlugin(options={"theme": '"><script>'}).render(doc, "/docs/openapi.json")
    assert 'theme="&quot;&gt;&lt;script&gt;"' in page


def test_options_reach_each_ui():
    url = "/docs/openapi.json"
    assert '"tryItOutEnabled": true' in SwaggerRenderPlugin(options={"tryItOutEnabled": True}).render(DOC, url)
    assert '"hideDownloadButton": true' in RedocRenderPlugin(options={"hideDownloadButton": True}).render(DOC, url)
    scalar = ScalarRenderPlugin(options={"theme": "moon", "telemetry": True}).render(DOC, url)
    assert '"theme": "moon"' in scalar and '"telemetry": true' in scalar and '"withDefaultFonts": false' in scalar
    assert ' theme="dark"' in RapidocRenderPlugin(options={"theme": "dark"}).render(DOC, url)
    assert ' layout="stacked"' in StoplightRenderPlugin(options={"layout": "stacked"}).render(DOC, url)


def test_a_version_that_is_not_bundled_needs_its_urls():
    with pytest.raises(ValueError, match="swagger-ui 4.0.0 is not bundled"):
        SwaggerRenderPlugin(version="4.0.0")
    with pytest.raises(ValueError, match="css_url"):
        StoplightRenderPlugin(version="7.7.18", js_url="https://cdn.example/e.js")
    page = SwaggerRenderPlugin(version="4.0.0", js_url="/s/ui.js", css_url="/s/ui.css").render(DOC, "/d/openapi.json")
    assert set(refs(page)) == {"/s/ui.js", "/s/ui.css", _assets.url("/d", "swagger-ui", "favicon-32x32.png")}
    # The bundled version, named explicitly, is fine.
    SwaggerRenderPlugin(version=_assets.version("swagger-ui"))


def test_json_and_yaml_render_the_document():
    assert JsonRenderPlugin().render(DOC, "") == '{"openapi":"3.1.0","info":{"title":"Shop","version":"1"},"paths":{}}'
    assert YamlRenderPlugin().render(DOC, "").startswith('openapi: "3.1.0"\ninfo:\n  title: Shop\n')
    assert YamlRenderPlugin().paths == ["/openapi.yaml", "/openapi.yml"]


def api_with(config) -> BoltAPI:
    api = BoltAPI()
    api.openapi_config = config
    return api


@pytest.fixture
def generated(monkeypatch) -> list:
    """``generate`` replaced by one that records its calls and returns ``DOC``."""
    calls = []

    def generate(routes, config):
        calls.append([r.path for r in routes])
        return DOC

    monkeypatch.setattr(schema_generator, "generate", generate)
    return calls


def test_the_default_config_serves_the_document_and_every_page(generated):
    project = BoltAPI()

    @project.get("/items/{id}")
    def item(id: int) -> dict:
        return {"id": id}

    served = {r.path: r for r in docs.docs_routes([api_with(OpenAPIConfig())], project.routes)}
    assert sorted(served) == [
        "/docs",
        "/docs/",
        "/docs/openapi.json",
        "/docs/openapi.yaml",
        "/docs/openapi.yml",
        "/docs/rapidoc",
        "/docs/redoc",
        "/docs/scalar",
        "/docs/stoplight",
    ]
    assert {r.method for r in served.values()} == {"GET"}
    assert all(r.auth == [] and r.guards == [] for r in served.values()), "docs are public by default"
    first = served["/docs/openapi.json"].handler()
    assert first.media_type == "application/vnd.oai.openapi+json"
    assert served["/docs/openapi.yml"].handler().media_type == "text/yaml; charset=utf-8"
    assert b"swagger-ui-bundle.js" in served["/docs"].handler().content
    assert served["/docs"].handler().content is served["/docs/"].handler().content, "one Swagger plugin, one page"
    for r in served.values():
        r.handler()
    # Generated once for every page, from the project's routes only; the same bytes every time.
    assert generated == [["/items/{id}"]]
    assert served["/docs/openapi.json"].handler().content is first.content


def test_the_default_page_and_first_claim_of_a_path():
    config = OpenAPIConfig(
        path="/api-docs/",
        render_plugins=[RedocRenderPlugin(path="/"), ScalarRenderPlugin(), JsonRenderPlugin(path="/openapi.json")],
    )
    served = {r.path: r for r in docs.docs_routes([api_with(config)], [])}
    assert sorted(served) == [
        "/api-docs",
        "/api-docs/",
        "/api-docs/openapi.json",
        "/api-docs/openapi.yaml",
        "/api-docs/openapi.yml",
        "/api-docs/scalar",
    ]
    assert served["/api-docs"].name == served["/api-docs/"].name == "openapi_redoc"
    assert served["/api-docs/openapi.json"].name == "openapi_json"


def test_guards_and_auth_of_the_config_apply_to_every_docs_route():
    key, guard = APIKeyAuthentication(keys={"k"}), IsAuthenticated()
    routes = docs.docs_routes([api_with(OpenAPIConfig(auth=[key], guards=[guard]))], [])
    assert routes and all(r.auth == [key] and r.guards == [guard] for r in routes)


def test_which_config_counts():
    assert docs.docs_routes([api_with(OpenAPIConfig(enabled=False))], []) == []
    assert docs.docs_routes([api_with(None), api_with(None)], []) == []
    second = OpenAPIConfig(path="/second")
    assert docs.project_config([api_with(None), api_with(second), api_with(OpenAPIConfig())]) is second
    assert docs.project_config([BoltAPI()]).path == "/docs", "an API without the attribute has the default docs"


def test_a_project_route_on_a_docs_path_is_a_conflict():
    project = BoltAPI()

    @project.get("/docs/redoc")
    def mine() -> dict:
        return {}

    with pytest.raises(RouteConflictError, match=r"GET /docs/redoc is served by .*mine and by the API docs"):
        docs.docs_routes([project], project.routes)
    moved = api_with(OpenAPIConfig(path="/reference"))
    assert docs.docs_routes([moved], project.routes)


def test_the_assets_mount_is_immutable_and_follows_the_docs_path(assets_present):
    [mount] = docs.docs_static_mounts([api_with(OpenAPIConfig(path="/reference"))])
    assert mount.prefix == "/reference/assets/"
    assert mount.roots == [str(_assets.ROOT)]
    assert mount.cache_control == "public, max-age=31536000, immutable"
    [mount] = docs.docs_static_mounts([api_with(OpenAPIConfig(path="/"))])
    assert mount.prefix == "/assets/"
    assert docs.docs_static_mounts([api_with(OpenAPIConfig(enabled=False))]) == []
