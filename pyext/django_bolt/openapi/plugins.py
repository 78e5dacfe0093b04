"""The pages that render the document (contract skeleton; filled in by the docs-UI work)."""

from __future__ import annotations

from typing import Any

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


class OpenAPIRenderPlugin:
    """Serves the document at one or more paths under ``OpenAPIConfig.path``."""

    media_type = "text/html; charset=utf-8"

    def __init__(self, path: str | list[str], media_type: str | None = None, **kwargs: Any) -> None:
        self.paths = [path] if isinstance(path, str) else list(path)
        if media_type is not None:
            self.media_type = media_type
        self.options = kwargs

    def has_path(self, path: str) -> bool:
        return path in self.paths

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str | bytes:
        raise NotImplementedError


class SwaggerRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, path: str | list[str] = "/swagger", **kwargs: Any) -> None:
        super().__init__(path, **kwargs)


class RedocRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, path: str | list[str] = "/redoc", **kwargs: Any) -> None:
        super().__init__(path, **kwargs)


class ScalarRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, path: str | list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(path if path is not None else ["/scalar", "/"], **kwargs)


class RapidocRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, path: str | list[str] = "/rapidoc", **kwargs: Any) -> None:
        super().__init__(path, **kwargs)


class StoplightRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, path: str | list[str] = "/elements", **kwargs: Any) -> None:
        super().__init__(path, **kwargs)


class JsonRenderPlugin(OpenAPIRenderPlugin):
    media_type = "application/vnd.oai.openapi+json"

    def __init__(self, path: str | list[str] = "/openapi.json", **kwargs: Any) -> None:
        super().__init__(path, **kwargs)


class YamlRenderPlugin(OpenAPIRenderPlugin):
    media_type = "text/yaml; charset=utf-8"

    def __init__(self, path: str | list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(path if path is not None else ["/openapi.yaml", "/openapi.yml"], **kwargs)
