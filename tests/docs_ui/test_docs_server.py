"""The API docs served by a real ``bolt``: the demo's default docs at /docs (every page, the
document as JSON and YAML, the bundled assets with their caching), and tests/projects/docs for
docs turned off, guarded, or colliding with a project route."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

import pytest
import yaml

from django_bolt.openapi import SwaggerRenderPlugin
from support.boltproc import BoltProcess, serve, server_env
from support.paths import PROJECTS
from support.projects import run_bolt
from support.wire import Conn, fetch, get

HTML = "text/html; charset=utf-8"
# Every docs path of the default OpenAPIConfig and what it answers with.
DOCS_PATHS = {
    "/docs": HTML,  # the default page: Swagger UI
    "/docs/": HTML,  # Swagger UI's own path ("/")
    "/docs/redoc": HTML,
    "/docs/scalar": HTML,
    "/docs/rapidoc": HTML,
    "/docs/stoplight": HTML,
    "/docs/openapi.json": "application/vnd.oai.openapi+json",
    "/docs/openapi.yaml": "text/yaml; charset=utf-8",
    "/docs/openapi.yml": "text/yaml; charset=utf-8",
}
PAGES = [p for p, ct in DOCS_PATHS.items() if ct == HTML]
IMMUTABLE = "public, max-age=31536000, immutable"


class Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def page_refs(port: int, path: str) -> list[str]:
    parser = Refs()
    parser.feed(get(port, path).text)
    return parser.urls


@pytest.mark.parametrize("path", DOCS_PATHS)
def test_every_docs_path_answers_with_its_content_type(server, path):
    resp = get(server.port, path)
    assert resp.status == 200, (path, resp.body[:300])
    assert resp.content_type == DOCS_PATHS[path]
    assert resp.body


@pytest.mark.parametrize("path", PAGES)
def test_pages_reference_only_this_server(server, path):
    """Every src/href of every page is an absolute path on this server (no scheme, no host)."""
    urls = page_refs(server.port, path)
    assert urls
    for url in urls:
        assert url.startswith("/docs/assets/") and not url.startswith("//"), f"{path} references {url}"


def test_every_asset_of_every_page_is_cached_and_revalidates(server):
    assets = sorted({url for path in PAGES for url in page_refs(server.port, path)})
    assert len(assets) >= 8, assets  # a script (and a stylesheet) per UI, and the favicon
    for url in assets:
        resp = get(server.port, url)
        assert resp.status == 200, url
        assert resp.header("cache-control") == IMMUTABLE, url
        etag = resp.header("etag")
        assert etag and resp.header("last-modified"), url
        again = get(server.port, url, headers=[("If-None-Match", etag)])
        assert (again.status, again.body, again.header("etag")) == (304, b"", etag), url
        if url.endswith((".js", ".css")):
            assert resp.content_type.split(";")[0] in ("text/javascript", "application/javascript", "text/css"), url
            zipped = get(server.port, url, headers=[("Accept-Encoding", "gzip")])
            assert zipped.header("content-encoding") == "gzip", url
            assert gzip.decompress(zipped.body) == resp.body, url


def test_the_document_is_json_and_the_yaml_is_the_same_document(server):
    doc = get(server.port, "/docs/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/items/{id}" in doc["paths"]
    assert not any(p == "/docs" or p.startswith("/docs/") for p in doc["paths"]), "the docs do not describe themselves"
    for path in ("/docs/openapi.yaml", "/docs/openapi.yml"):
        assert yaml.safe_load(get(server.port, path).text) == doc, path


def test_head_answers_like_get_without_a_body(server):
    for path in DOCS_PATHS:
        full = get(server.port, path)
        head = fetch(server.port, "HEAD", path)
        assert head.status == 200 and head.body == b"", path
        assert head.content_type == full.content_type, path
        assert int(head.header("content-length")) == len(full.body), path


def test_the_document_is_the_same_bytes_on_every_worker_and_request(server2):
    """On one connection the worker is fixed: /claims/worker names it, then the document."""
    bodies: dict[int, set[bytes]] = {}
    for _ in range(40):
        with Conn(server2.port) as conn:
            worker = conn.request("GET", "/claims/worker").json()["interp_id"]
            for _ in range(3):
                resp = conn.request("GET", "/docs/openapi.json")
                assert resp.status == 200
                bodies.setdefault(worker, set()).add(resp.body)
    assert len(bodies) == 2, f"only worker(s) {sorted(bodies)} answered"
    assert len(set().union(*bodies.values())) == 1, "the workers served different documents"


# -- tests/projects/docs: docs off, guarded, in conflict ---------------------------------------------


def docs_project(case: str, driver: str):
    yield from serve(cores=1, driver=driver, cwd=PROJECTS / "docs", env={"DOCS_CASE": case})


@pytest.fixture(scope="module")
def docs_off(driver):
    yield from docs_project("off", driver)


@pytest.fixture(scope="module")
def docs_guarded(driver):
    yield from docs_project("guarded", driver)


def test_the_banner_counts_the_projects_routes_and_names_the_docs_path(docs_off, docs_guarded):
    # tests/projects/docs serves the same routes with docs off and with docs at /api-docs.
    off = re.search(r"\| routes (\d+) \| listening", docs_off.stdout)
    on = re.search(r"\| routes (\d+) \| docs /api-docs \| listening", docs_guarded.stdout)
    assert off and on, (docs_off.stdout, docs_guarded.stdout)
    assert off.group(1) == on.group(1)


def test_enabled_false_serves_no_docs(docs_off: BoltProcess):
    assert get(docs_off.port, "/items/3").json() == {"id": 3}
    for path in [*DOCS_PATHS, "/docs/assets/swagger-ui/x/swagger-ui.css"]:
        assert get(docs_off.port, path).status == 404, path


def test_guards_and_auth_protect_every_docs_route(docs_guarded: BoltProcess):
    port = docs_guarded.port
    for path in DOCS_PATHS:
        path = path.replace("/docs", "/api-docs", 1)
        anonymous = get(port, path)
        assert anonymous.status == 401, path
        assert anonymous.header("www-authenticate").startswith("ApiKey"), path
        # A valid key without the "docs" scope: authenticated, refused.
        assert get(port, path, headers=[("X-API-Key", "docs-key")]).status == 403, path
        assert get(port, path.replace("/api-docs", "/docs", 1)).status == 404, path
    # The assets are the UIs' public code: served to anyone, under the configured path.
    page = SwaggerRenderPlugin().render({"info": {"title": "x"}}, "/api-docs/openapi.json")
    parser = Refs()
    parser.feed(page)
    assert parser.urls
    for url in parser.urls:
        assert get(port, url).status == 200, url


def test_a_project_route_on_a_docs_path_stops_the_start(driver):
    r = run_bolt("docs", "--driver", driver, env={**server_env(), "DOCS_CASE": "conflict"})
    assert r.returncode == 1, r.stderr
    assert "GET /docs is served by site_docs.api.own_docs and by the API docs" in r.stderr, r.stderr
    assert "OpenAPIConfig(path=...)" in r.stderr
