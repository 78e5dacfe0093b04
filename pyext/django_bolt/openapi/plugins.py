"""The pages that render the document: Swagger UI, ReDoc, Scalar, RapiDoc, Stoplight Elements,
and the document itself as JSON or YAML.

>>> OpenAPIConfig(render_plugins=[SwaggerRenderPlugin(path="/", options={"tryItOutEnabled": True}),
...                               RedocRenderPlugin()])

Each UI page loads its script and stylesheet from bolt's own copy of the UI's npm package,
``{docs path}/assets/<ui>/<version>/<file>`` (``scripts/docs_assets.py``; served by Rust's static
file server), and the document from ``schema_url`` (``{docs path}/openapi.json``): no CDN, and
nothing that reaches another host by default (web fonts and telemetry are turned off where a UI
has them). ``js_url=``/``css_url=`` load a build from elsewhere instead. ``render`` is called once
per worker; its result is served as bytes from then on.
"""

from __future__ import annotations

import html
import json
from typing import Any

from . import _assets
from ._yaml import dump as _yaml_dump

__all__ = [
    "OpenAPIRenderPlugin",
    "SwaggerRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "RapidocRenderPlugin",
    "StoplightRenderPlugin",
    "JsonRenderPlugin",
    "YamlRenderPlugin",
]

_default_style = "<style>body { margin: 0; padding: 0 }</style>"


def _js(value: Any) -> str:
    """``value`` as a JavaScript literal that is safe inside ``<script>`` (no ``</script>``)."""
    return json.dumps(value, allow_nan=False).replace("<", "\\u003c")


def _attr(value: Any) -> str:
    return html.escape(str(value).lower() if isinstance(value, bool) else str(value), quote=True)


def _attrs(attributes: dict[str, Any]) -> str:
    return "".join(f' {html.escape(k, quote=True)}="{_attr(v)}"' for k, v in attributes.items() if v is not None)


def _bundled(ui: str, version: str | None, *overrides: str | None) -> None:
    """A ``version=`` other than the bundled one can only be served from a URL the user gives."""
    if version is not None and version != _assets.version(ui) and not all(overrides):
        raise ValueError(
            f"{ui} {version} is not bundled (bolt serves {ui} {_assets.version(ui)} from its own assets); "
            "pass js_url= (and css_url= where the page has one) to load another build"
        )


class OpenAPIRenderPlugin:
    """Serves the document at one or more paths under ``OpenAPIConfig.path``.

    ``favicon`` and ``style`` are HTML put in the page's ``<head>`` (django-bolt's options); the
    default favicon is Swagger UI's, from the bundled assets. Subclasses implement ``render``.
    """

    media_type = "text/html; charset=utf-8"

    def __init__(
        self,
        *,
        path: str | list[str],
        media_type: str | None = None,
        favicon: str | None = None,
        style: str = _default_style,
    ) -> None:
        self.paths = [path] if isinstance(path, str) else list(path)
        for p in self.paths:
            if not p.startswith("/"):
                raise ValueError(f"{type(self).__name__}: path {p!r} must start with '/'")
        if media_type is not None:
            self.media_type = media_type
        self.favicon = favicon
        self.style = style

    def has_path(self, path: str) -> bool:
        return path in self.paths

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str | bytes:
        """The page (or document) for ``openapi_schema``, which the page loads from ``schema_url``."""
        raise NotImplementedError

    @staticmethod
    def render_json(openapi_schema: dict[str, Any]) -> str:
        """The document as compact JSON text."""
        return json.dumps(openapi_schema, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    @staticmethod
    def docs_path(schema_url: str) -> str:
        """The docs path the bundled assets hang under: where ``schema_url`` is."""
        return schema_url.rsplit("/", 1)[0]

    def asset(self, schema_url: str, ui: str, file: str) -> str:
        return _assets.url(self.docs_path(schema_url), ui, file)

    def page(self, openapi_schema: dict[str, Any], schema_url: str, head: str, body: str) -> str:
        """The HTML document around a UI's ``head`` additions and ``body``."""
        info = openapi_schema.get("info") if isinstance(openapi_schema, dict) else None
        title = html.escape(str((info or {}).get("title") or "API"))
        favicon = self.favicon
        if favicon is None:
            href = self.asset(schema_url, "swagger-ui", "favicon-32x32.png")
            favicon = f'<link rel="icon" type="image/png" href="{href}">'
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n{favicon}\n{head}{self.style}\n</head>\n<body>\n{body}</body>\n</html>\n"
        )


class SwaggerRenderPlugin(OpenAPIRenderPlugin):
    """Swagger UI (``swagger-ui-dist``), with "Try it out".

    ``options`` go into the ``SwaggerUIBundle`` configuration (``{"tryItOutEnabled": True}``,
    ``{"docExpansion": "none"}``); the validator badge, which would call validator.swagger.io,
    is off unless ``options`` sets ``validatorUrl``. ``standalone_preset_js_url`` switches to
    the standalone layout (top bar) with that preset script.
    """

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        css_url: str | None = None,
        standalone_preset_js_url: str | None = None,
        options: dict[str, Any] | None = None,
        path: str | list[str] = "/swagger",
        **kwargs: Any,
    ) -> None:
        _bundled("swagger-ui", version, js_url, css_url)
        self.js_url = js_url
        self.css_url = css_url
        self.standalone_preset_js_url = standalone_preset_js_url
        self.options = dict(options or {})
        super().__init__(path=path, **kwargs)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        js = self.js_url or self.asset(schema_url, "swagger-ui", "swagger-ui-bundle.js")
        css = self.css_url or self.asset(schema_url, "swagger-ui", "swagger-ui.css")
        config = {
            "url": schema_url,
            "dom_id": "#swagger-ui",
            "deepLinking": True,
            "showExtensions": True,
            "showCommonExtensions": True,
            "validatorUrl": None,
            **self.options,
        }
        scripts = f'<script src="{_attr(js)}"></script>\n'
        presets = "SwaggerUIBundle.presets.apis"
        if self.standalone_preset_js_url:
            scripts += f'<script src="{_attr(self.standalone_preset_js_url)}"></script>\n'
            presets += ", SwaggerUIStandalonePreset"
            config.setdefault("layout", "StandaloneLayout")
        body = (
            f'<div id="swagger-ui"></div>\n{scripts}<script>\n'
            f"const config = {_js(config)};\nconfig.presets = [{presets}];\n"
            "window.ui = SwaggerUIBundle(config);\n</script>\n"
        )
        return self.page(openapi_schema, schema_url, f'<link rel="stylesheet" href="{_attr(css)}">\n', body)


class RedocRenderPlugin(OpenAPIRenderPlugin):
    """ReDoc (the ``redoc`` standalone bundle). ``options`` are ReDoc's (``{"hideDownloadButton":
    True}``); ``google_fonts=True`` adds ReDoc's suggested Montserrat/Roboto from Google Fonts (off
    by default: the page stays on this host)."""

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        google_fonts: bool = False,
        options: dict[str, Any] | None = None,
        path: str | list[str] = "/redoc",
        **kwargs: Any,
    ) -> None:
        _bundled("redoc", version, js_url)
        self.js_url = js_url
        self.google_fonts = google_fonts
        self.options = dict(options or {})
        super().__init__(path=path, **kwargs)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        js = self.js_url or self.asset(schema_url, "redoc", "redoc.standalone.js")
        head = ""
        if self.google_fonts:
            head = (
                '<link rel="stylesheet" '
                'href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700">\n'
            )
        body = (
            f'<div id="redoc-container"></div>\n<script src="{_attr(js)}"></script>\n<script>\n'
            f'Redoc.init({_js(schema_url)}, {_js(self.options)}, document.getElementById("redoc-container"));\n'
            "</script>\n"
        )
        return self.page(openapi_schema, schema_url, head, body)


class ScalarRenderPlugin(OpenAPIRenderPlugin):
    """Scalar API Reference (the ``@scalar/api-reference`` standalone bundle). ``options`` are
    Scalar's configuration; by default its web fonts (fonts.scalar.com), telemetry and AI agent
    are off. ``css_url`` adds a stylesheet (django-bolt loaded Litestar's theme from a CDN)."""

    #: What keeps the page on this host unless ``options`` says otherwise.
    local_options: dict[str, Any] = {"withDefaultFonts": False, "telemetry": False, "agent": {"disabled": True}}

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        css_url: str | None = None,
        path: str | list[str] | None = None,
        options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        _bundled("scalar", version, js_url)
        self.js_url = js_url
        self.css_url = css_url
        self.options = dict(options or {})
        super().__init__(path=path if path is not None else ["/scalar", "/"], **kwargs)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        js = self.js_url or self.asset(schema_url, "scalar", "standalone.js")
        head = f'<link rel="stylesheet" href="{_attr(self.css_url)}">\n' if self.css_url else ""
        config = {**self.local_options, "url": schema_url, **self.options}
        body = (
            "<noscript>Scalar needs JavaScript to show the API reference.</noscript>\n"
            # Not id="api-reference": Scalar mounts itself there with its default configuration.
            f'<div id="scalar-app"></div>\n<script src="{_attr(js)}"></script>\n<script>\n'
            f'Scalar.createApiReference("#scalar-app", {_js(config)});\n</script>\n'
        )
        return self.page(openapi_schema, schema_url, head, body)


class RapidocRenderPlugin(OpenAPIRenderPlugin):
    """RapiDoc (the ``rapidoc`` bundle). ``options`` are attributes of the ``<rapi-doc>`` element
    (``{"theme": "dark", "render-style": "view"}``); its Google web fonts are off by default
    (``load-fonts="false"``)."""

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        options: dict[str, Any] | None = None,
        path: str | list[str] = "/rapidoc",
        **kwargs: Any,
    ) -> None:
        _bundled("rapidoc", version, js_url)
        self.js_url = js_url
        self.options = dict(options or {})
        super().__init__(path=path, **kwargs)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        js = self.js_url or self.asset(schema_url, "rapidoc", "rapidoc-min.js")
        attributes = {"load-fonts": False, **self.options, "spec-url": schema_url}
        head = f'<script type="module" src="{_attr(js)}"></script>\n'
        return self.page(openapi_schema, schema_url, head, f"<rapi-doc{_attrs(attributes)}></rapi-doc>\n")


class StoplightRenderPlugin(OpenAPIRenderPlugin):
    """Stoplight Elements (the ``@stoplight/elements`` web components). ``options`` are attributes
    of the ``<elements-api>`` element (``{"layout": "stacked"}``)."""

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        css_url: str | None = None,
        options: dict[str, Any] | None = None,
        path: str | list[str] = "/elements",
        **kwargs: Any,
    ) -> None:
        _bundled("stoplight", version, js_url, css_url)
        self.js_url = js_url
        self.css_url = css_url
        self.options = dict(options or {})
        super().__init__(path=path, **kwargs)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        js = self.js_url or self.asset(schema_url, "stoplight", "web-components.min.js")
        css = self.css_url or self.asset(schema_url, "stoplight", "styles.min.css")
        head = f'<link rel="stylesheet" href="{_attr(css)}">\n<script src="{_attr(js)}"></script>\n'
        attributes = {"router": "hash", "layout": "sidebar", **self.options, "apiDescriptionUrl": schema_url}
        return self.page(openapi_schema, schema_url, head, f"<elements-api{_attrs(attributes)}></elements-api>\n")


class JsonRenderPlugin(OpenAPIRenderPlugin):
    """The document as JSON (``application/vnd.oai.openapi+json``, as django-bolt serves it)."""

    media_type = "application/vnd.oai.openapi+json"

    def __init__(self, *, path: str | list[str] = "/openapi.json", **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        return self.render_json(openapi_schema)


class YamlRenderPlugin(OpenAPIRenderPlugin):
    """The document as YAML (``text/yaml``), written by bolt's own emitter for JSON data
    (``_yaml``: PyYAML's C extension cannot load in bolt's sub-interpreters)."""

    media_type = "text/yaml; charset=utf-8"

    def __init__(self, *, path: str | list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(path=path if path is not None else ["/openapi.yaml", "/openapi.yml"], **kwargs)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        return _yaml_dump(openapi_schema)
