"""tests/client/usersuite, a user's pytest-django suite written against TestClient, run as its
own pytest session (its own settings, test database and asyncio mode): every test passes."""

from __future__ import annotations

import re
import subprocess
import sys

from support.boltproc import server_env
from support.paths import TESTS

SUITE = TESTS / "client" / "usersuite"


def test_a_pytest_django_suite_passes(demo_db):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA"],
        cwd=SUITE,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    m = re.search(r"(\d+) passed", out)
    assert m and int(m.group(1)) == 12, out
    assert "skipped" not in out and "xfail" not in out, out
