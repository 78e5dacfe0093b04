"""``OpenAPIConfig``: what the document says about the API as a whole, and where it is served."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .plugins import (
    OpenAPIRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
)

__all__ = ["OpenAPIConfig"]


def _default_plugins() -> list[OpenAPIRenderPlugin]:
    return [
        SwaggerRenderPlugin(path="/"),
        RedocRenderPlugin(path="/redoc"),
        ScalarRenderPlugin(path="/scalar"),
        RapidocRenderPlugin(path="/rapidoc"),
        StoplightRenderPlugin(path="/stoplight"),
    ]


@dataclass
class OpenAPIConfig:
    """The document's ``info``, servers, tags and security, and the docs pages (django-bolt 0.13's
    fields). ``BoltAPI(openapi_config=...)``; without one, every API gets docs at ``/docs``."""

    title: str = "API"
    version: str = "1.0.0"
    contact: Any = None
    description: str | None = None
    external_docs: Any = None
    license: Any = None
    security: list[dict[str, list[str]]] | None = None
    components: Any = None
    servers: list[Any] = field(default_factory=lambda: [{"url": "/"}])
    summary: str | None = None
    tags: list[Any] | None = None
    terms_of_service: str | None = None
    #: A route without ``description=`` is described by its handler's docstring.
    use_handler_docstrings: bool = True
    webhooks: dict[str, Any] | None = None
    #: Where the docs are served: ``{path}/openapi.json``, ``{path}`` (the default page), ...
    path: str = "/docs"
    render_plugins: list[OpenAPIRenderPlugin] = field(default_factory=list)
    #: Path prefixes left out of the document (the docs' own path always is).
    exclude_paths: list[str] = field(default_factory=lambda: ["/admin", "/static"])
    #: Document the 422 validation error on routes that take input.
    include_error_responses: bool = True
    #: Refuse (ValueError at start-up) a document with untyped JSON responses or component names
    #: qualified by module (two types sharing a name).
    strict: bool = False
    #: False: no docs routes at all (production without docs).
    enabled: bool = True
    #: Guards and authenticators for the docs routes (none: the docs are public).
    guards: list[Any] | None = None
    auth: list[Any] | None = None

    def __post_init__(self) -> None:
        if not self.render_plugins:
            self.render_plugins = _default_plugins()
        self.path = "/" + self.path.strip("/")
        #: The plugin served at ``path`` itself: the one at "/", else the first.
        self.default_plugin: OpenAPIRenderPlugin | None = next(
            (p for p in self.render_plugins if p.has_path("/")), self.render_plugins[0] if self.render_plugins else None
        )
