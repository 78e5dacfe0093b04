"""The docs routes of a project: the document and its pages, as ordinary GET routes.

With the default ``OpenAPIConfig()`` (``path="/docs"``):

    GET /docs/openapi.json                  the document (application/vnd.oai.openapi+json)
    GET /docs/openapi.yaml, /docs/openapi.yml   the same, as YAML
    GET /docs                               the default page (Swagger UI)
    GET /docs/, /docs/redoc, /docs/scalar, /docs/rapidoc, /docs/stoplight   each plugin's page
    /docs/assets/<ui>/<version>/...         the pages' scripts and styles (Rust's static files)

The config is the first API's ``openapi_config`` that is not None; ``enabled=False`` serves
none of it. The routes are built by a ``BoltAPI`` of their own, so ``config.auth`` and
``config.guards`` apply exactly as on any route (without them the docs are public, whatever
``BOLT_AUTHENTICATION``/``BOLT_DEFAULT_GUARDS`` say), and HEAD is answered like for any GET. A
path the project itself serves is a start-up ``RouteConflictError`` (move the docs with
``OpenAPIConfig(path=...)``). The assets are public.

The document describes the project's routes (not the docs routes). Each worker generates it
once, at the first docs request, and renders each page once from it; every request after that
is served from the same bytes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from .. import responses
from .._plans import StaticMount
from ..api import BoltAPI, RouteConflictError
from . import _assets, schema_generator
from .config import OpenAPIConfig
from .plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin

if TYPE_CHECKING:
    from ..api import Route

__all__ = ["docs_routes", "docs_static_mounts", "project_config", "ASSETS_CACHE_CONTROL"]

log = logging.getLogger("django_bolt")

#: Every asset URL carries its package version (``_assets.url``), so its bytes never change.
ASSETS_CACHE_CONTROL = "public, max-age=31536000, immutable"

_MISSING: Any = object()


def project_config(apis: list[BoltAPI]) -> OpenAPIConfig | None:
    """The first ``openapi_config`` among ``apis`` that is not None (an API without the
    attribute counts as the default ``OpenAPIConfig()``); None when every API turned docs off."""
    for api in apis:
        config = getattr(api, "openapi_config", _MISSING)
        if config is _MISSING:
            config = OpenAPIConfig()
        if config is not None:
            return config
    return None


def _base(config: OpenAPIConfig) -> str:
    """The prefix under which the docs live: the path, or "" for docs at "/"."""
    return "" if config.path == "/" else config.path


class _Site:
    """One worker's document and rendered pages, made on first use and kept."""

    def __init__(self, config: OpenAPIConfig, routes: list[Route], schema_url: str) -> None:
        self.config = config
        self.routes = routes
        self.schema_url = schema_url
        self._document: dict[str, Any] | None = None
        self._bodies: dict[int, bytes] = {}

    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = schema_generator.generate(self.routes, self.config)
        return self._document

    def body(self, plugin: OpenAPIRenderPlugin) -> bytes:
        body = self._bodies.get(id(plugin))
        if body is None:
            rendered = plugin.render(self.document(), self.schema_url)
            body = rendered.encode("utf-8") if isinstance(rendered, str) else bytes(rendered)
            self._bodies[id(plugin)] = body
        return body

    def handler(self, plugin: OpenAPIRenderPlugin, name: str) -> Callable[[], responses.Response]:
        media_type = plugin.media_type

        def handler() -> responses.Response:
            return responses.Response(self.body(plugin), media_type=media_type)

        handler.__name__ = handler.__qualname__ = name
        return handler


def _pages(config: OpenAPIConfig, base: str) -> dict[str, OpenAPIRenderPlugin]:
    """Path -> what serves it; the first claim of a path wins."""
    pages: dict[str, OpenAPIRenderPlugin] = {}
    for plugin in (JsonRenderPlugin(), YamlRenderPlugin()):
        for p in plugin.paths:
            pages[base + p] = plugin
    if config.default_plugin is not None:
        pages.setdefault(config.path, config.default_plugin)
    for plugin in config.render_plugins:
        for p in plugin.paths:
            pages.setdefault(base + p, plugin)
    return pages


def docs_routes(apis: list[BoltAPI], routes: list[Route]) -> list[Route]:
    """The routes that serve the document and its pages for a project whose APIs are ``apis`` and
    whose merged routes are ``routes`` (what the document describes); [] when docs are off.
    Raises ``RouteConflictError`` when ``routes`` already serve one of the docs paths."""
    config = project_config(apis)
    if config is None or not config.enabled:
        return []
    base = _base(config)
    site = _Site(config, list(routes), f"{base}/openapi.json")
    taken = {(r.method, r.path): r for r in routes}
    own = BoltAPI(trailing_slash="keep")  # the docs serve "/docs" and "/docs/" both
    for path, plugin in _pages(config, base).items():
        other = taken.get(("GET", path))
        if other is not None:
            where = f"{other.handler.__module__}.{other.handler.__qualname__}"
            raise RouteConflictError(
                f"GET {path} is served by {where} and by the API docs (OpenAPIConfig.path={config.path!r}): "
                "move the docs with OpenAPIConfig(path=...) or turn them off with enabled=False"
            )
        name = "openapi_" + type(plugin).__name__.removesuffix("RenderPlugin").lower()
        own.route(
            "GET",
            path,
            name=name,
            blocking=False,
            auth=list(config.auth or []),
            guards=list(config.guards or []),
            response_model=None,
        )(site.handler(plugin, name))
    for r in own.routes:
        r.docs = True
    return own.routes


def docs_static_mounts(apis: list[BoltAPI]) -> list[StaticMount]:
    """The static-file mount for the pages' assets: ``{path}/assets/`` from the package's
    ``openapi/assets`` folder, cached for a year as immutable (every URL carries its version);
    [] when docs are off or the assets were never fetched (``scripts/docs_assets.py``)."""
    config = project_config(apis)
    if config is None or not config.enabled:
        return []
    missing = _assets.missing()
    if missing:
        log.warning(
            "API docs: bundled assets missing (%s); the pages will not load until scripts/docs_assets.py runs",
            ", ".join(missing),
        )
    if not _assets.ROOT.is_dir():
        return []
    return [StaticMount(f"{_base(config)}/assets/", [str(_assets.ROOT)], ASSETS_CACHE_CONTROL)]
