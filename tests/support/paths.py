"""Where things are."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
DEMO = REPO / "examples" / "demo"  # the project the shared servers run
PROJECTS = TESTS / "projects"  # small Django projects for start-up, discovery and logging tests
ARTIFACTS = TESTS / "artifacts"  # screenshots (git-ignored)
