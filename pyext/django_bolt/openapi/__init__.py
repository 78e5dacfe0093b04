"""OpenAPI 3.1 for a bolt project: the document (``schema_generator``), generated from the same
type plans the server decodes and encodes with, and the pages that render it (``plugins``),
served under ``OpenAPIConfig.path`` (``/docs``) with their assets from Rust's static path.

>>> api = BoltAPI(openapi_config=OpenAPIConfig(title="Shop", version="2.0.0"))
"""

from .config import OpenAPIConfig
from .plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)

__all__ = [
    "OpenAPIConfig",
    "OpenAPIRenderPlugin",
    "SwaggerRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "RapidocRenderPlugin",
    "StoplightRenderPlugin",
    "JsonRenderPlugin",
    "YamlRenderPlugin",
]
