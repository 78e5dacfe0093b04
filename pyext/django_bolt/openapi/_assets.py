"""Where the docs pages' bundled assets are, on disk and by URL (``assets.lock.json``).

>>> url("/docs", "redoc", "redoc.standalone.js")
'/docs/assets/redoc/2.5.4/redoc.standalone.js'

``scripts/docs_assets.py`` fills ``assets/<name>/<version>/`` from the npm registry. The version
is part of every URL, so a URL's bytes never change and browsers may cache them for good.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

__all__ = ["ROOT", "version", "url", "missing"]

HERE = Path(__file__).resolve().parent
ROOT = HERE / "assets"
LOCK = HERE / "assets.lock.json"


@functools.cache
def _entries() -> dict[str, dict]:
    return json.loads(LOCK.read_text(encoding="utf-8"))["assets"]


def version(name: str) -> str:
    """The bundled version of ``name`` (``swagger-ui``, ``redoc``, ``scalar``, ``rapidoc``,
    ``stoplight``)."""
    return _entries()[name]["version"]


def url(docs_path: str, name: str, file: str) -> str:
    """The URL of one bundled file under the docs path (``""`` when the docs are at ``/``)."""
    entry = _entries()[name]
    if file not in entry["files"] and file != "LICENSE":
        raise KeyError(f"{file!r} is not among the bundled files of {name}")
    return f"{docs_path}/assets/{name}/{entry['version']}/{file}"


def missing() -> list[str]:
    """``name version`` of every UI whose files are not all on disk (scripts/docs_assets.py
    was not run)."""
    return [
        f"{name} {e['version']}"
        for name, e in _entries().items()
        if not all((ROOT / name / e["version"] / f).is_file() for f in e["files"])
    ]
