"""Small OpenAPI objects for ``OpenAPIConfig``'s fields (plain dicts work as well).

>>> OpenAPIConfig(
...     title="Shop",
...     version="2.0.0",
...     contact=Contact(name="Ops", email="ops@example.com"),
...     license=License(name="MIT", identifier="MIT"),
...     servers=[Server(url="https://api.example.com", description="production")],
...     tags=[Tag(name="items", description="What we sell")],
...     external_docs=ExternalDocumentation(url="https://docs.example.com"),
... )
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Contact", "License", "Server", "Tag", "ExternalDocumentation", "to_schema"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def to_schema(value: Any) -> Any:
    """``value`` as JSON-ready OpenAPI: objects with ``to_schema()`` converted, dicts and lists
    walked, everything else as it is."""
    if hasattr(value, "to_schema"):
        return value.to_schema()
    if isinstance(value, dict):
        return {k: to_schema(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_schema(v) for v in value]
    return value


class _Object:
    def to_schema(self) -> dict[str, Any]:
        """The OpenAPI object: camelCase keys, unset (``None``) fields left out."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if v is None or (f.name == "extensions" and not v):
                continue
            if f.name == "extensions":
                out.update({(k if k.startswith("x-") else f"x-{k}"): to_schema(x) for k, x in v.items()})
            else:
                out[_camel(f.name)] = to_schema(v)
        return out


@dataclass
class Contact(_Object):
    """``info.contact``."""

    name: str | None = None
    url: str | None = None
    email: str | None = None


@dataclass
class License(_Object):
    """``info.license``: a ``name`` and either an SPDX ``identifier`` or a ``url``."""

    name: str
    identifier: str | None = None
    url: str | None = None


@dataclass
class ExternalDocumentation(_Object):
    """``externalDocs`` of the document or of a tag."""

    url: str
    description: str | None = None


@dataclass
class Server(_Object):
    """One of ``servers``; ``variables`` as OpenAPI writes them
    (``{"port": {"default": "443", "enum": ["443", "8443"]}}``)."""

    url: str
    description: str | None = None
    variables: dict[str, Any] | None = None


@dataclass
class Tag(_Object):
    """A top-level tag: its description, and where to read more."""

    name: str
    description: str | None = None
    external_docs: ExternalDocumentation | dict[str, Any] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
