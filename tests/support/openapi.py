"""The OpenAPI document of a project, generated the way a worker does at start-up (in a fresh
Python of its own, so this test process keeps no Django settings):

    doc = project_document()            # examples/demo
    doc = project_document(copy_dir)    # a copy of it (support.projects.copy_demo)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.boltproc import server_env
from support.paths import DEMO

# The first API's openapi_config, as the docs routes use it.
_SCRIPT = """
import json, sys, time
sys.path.insert(0, ".")
from django_bolt.discovery import discover_apis, load_routes
from django_bolt.openapi.schema_generator import generate
routes = load_routes("demo.settings")
config = discover_apis()[0].openapi_config
start = time.perf_counter()
doc = generate(routes, config)
elapsed = time.perf_counter() - start
sys.stdout.write(json.dumps({"document": doc, "seconds": elapsed}))
"""


def project_document_timed(project: Path = DEMO) -> tuple[dict[str, Any], float]:
    """(the document of ``project``'s routes, the seconds ``generate`` took)."""
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=project,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"generating the document failed\n{proc.stderr}"
    out = json.loads(proc.stdout)
    return out["document"], out["seconds"]


def project_document(project: Path = DEMO) -> dict[str, Any]:
    """The document of ``project``'s routes (examples/demo by default)."""
    return project_document_timed(project)[0]
