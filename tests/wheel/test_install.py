"""The built wheel (``scripts/wheel.sh`` → dist/) installed with pip into a fresh Python 3.13
venv, as a user would: ``bolt --version``, ``bolt`` serving a copy of the demo, and ``manage.py
runbolt``, with nothing of this checkout on the path.

Runs once per CI run (in the io_uring pass): what it tests does not depend on the driver. Without
a wheel in dist/ it is skipped, except in CI (``CI=true``), where scripts/env.sh built one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.boltproc import BoltProcess, drivers_under_test
from support.paths import DEMO, REPO
from support.wire import fetch

IN_CI = os.environ.get("CI") == "true"

pytestmark = pytest.mark.skipif(
    "uring" not in drivers_under_test(), reason="driver-independent: runs in the io_uring pass only"
)


def _wheel() -> Path:
    found = sorted((REPO / "dist").glob("django_bolt-*-cp313-*manylinux*x86_64.whl"))
    if not found:
        if IN_CI:
            pytest.fail("no wheel in dist/: scripts/env.sh builds one when BOLT_FROM_WHEEL=1")
        pytest.skip("no wheel in dist/ (scripts/wheel.sh builds one)")
    return found[-1]


def _base_python() -> str:
    """A Python 3.13 that is not this venv: the venv's own base interpreter."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base if base.exists() else sys.executable)


def _clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def test_wheel_installs_into_a_fresh_venv_and_serves(tmp_path, driver):
    wheel = _wheel()
    venv = tmp_path / "venv"
    subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True, timeout=60)
    env = _clean_env(venv)
    # Django and httpx come from PyPI (or pip's cache); django-bolt only from the wheel.
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    project = tmp_path / "demo"
    shutil.copytree(DEMO, project, ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3", ".maintenance"))
    py = str(venv / "bin" / "python")
    where = subprocess.run(
        [py, "-c", "import django_bolt, django_bolt._native as n; print(django_bolt.__file__); print(n.__file__)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert Path(line).is_relative_to(venv), where.stdout

    version = subprocess.run(
        [str(venv / "bin" / "bolt"), "--version"], env=env, capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("django-bolt 0.1.0 | Python 3.13"), version.stdout
    compat = subprocess.run(
        [str(venv / "bin" / "django-bolt"), "version"], env=env, capture_output=True, text=True, timeout=60
    )
    assert compat.stdout == "Django-Bolt version: 0.1.0\n", compat.stdout + compat.stderr

    # The demo's database, made by the installed package's migrations.
    setup = subprocess.run(
        [py, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr

    base = ["--cores", "1", "--host", "127.0.0.1", "--port", "0", "--driver", driver]
    for argv in ([str(venv / "bin" / "bolt"), *base], [py, "manage.py", "runbolt", *base]):
        server = BoltProcess(argv, project, env=env)
        try:
            server.wait_ready()
            r = fetch(server.port, "GET", "/hello")
            assert r.status == 200 and r.json() == {"message": "Hello, World!"}, r.text
            # The docs page's assets came with the wheel (they are not in git).
            assert fetch(server.port, "GET", "/docs").status == 200
        finally:
            assert server.stop() == 0, server.output()
