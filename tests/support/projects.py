"""The demo project (``examples/demo``) and the small projects of ``tests/projects``: setting up
the demo's database, running its ``manage.py``, copies to edit, and ``bolt`` runs expected to
refuse to start.

    manage_shell("from people.models import Person; print(Person.objects.count())")   # stdout
    project = copy_demo(tmp_path / "demo", "staticfiles", settings="BOLT_MAX_UPLOAD_FILES = 2\\n")
    r = run_bolt("badapi")                       # finished process: r.returncode, r.stderr
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from support.boltproc import bolt_executable, server_env
from support.paths import DEMO, PROJECTS

# What every test copy of a project leaves out: byte code (and the demo's maintenance flag).
_NOT_COPIED = ("__pycache__",)
_NOT_COPIED_FROM_DEMO = ("__pycache__", ".maintenance")
# The imports a bad-signature api.py starts with (``start_badsig``).
BADSIG_HEAD = "from django_bolt import BoltAPI, Struct\n\napi = BoltAPI()\n\n\n"


# -- the demo's database and manage.py -------------------------------------------------------------


def run_demo_setup(env: dict[str, str] | None = None, timeout: float = 120) -> None:
    """``examples/demo/setup.sh`` with this interpreter: migrate and seed, on the database the
    demo's settings choose (SQLite, or what ``env`` selects, e.g. ``PostgresServer.demo_env()``)."""
    proc = subprocess.run(
        ["sh", str(DEMO / "setup.sh")],
        env={**server_env(), **(env or {}), "PYTHON": sys.executable},
        cwd=DEMO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        where = f" on {env['DEMO_DATABASE']}" if env and env.get("DEMO_DATABASE") else ""
        raise RuntimeError(
            f"setup.sh{where} failed with exit code {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )


def manage_argv(*args: str) -> list[str]:
    """The command line of the demo's ``manage.py`` (run it with ``cwd=DEMO, env=server_env()``)."""
    return [sys.executable, "manage.py", *args]


def manage(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """``manage.py *args`` in the demo, finished (text output captured, the exit code not checked)."""
    return subprocess.run(
        manage_argv(*args), cwd=DEMO, env=server_env(), capture_output=True, text=True, timeout=timeout
    )


def manage_shell(code: str) -> str:
    """``manage.py shell -c code`` in the demo; fails unless it exits 0; returns its stdout."""
    proc = manage("shell", "-c", code)
    assert proc.returncode == 0, f"manage.py shell failed\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


# -- copies to edit ----------------------------------------------------------------------------------


def _append_settings(settings: Path, text: str) -> None:
    if text:
        settings.write_text(settings.read_text() + text)


def copy_demo(dest: Path, *ignore: str, settings: str = "") -> Path:
    """A copy of examples/demo (its database included) at ``dest``, without ``ignore`` (beyond
    byte code and the maintenance flag); ``settings`` is appended to its ``demo/settings.py``."""
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns(*_NOT_COPIED_FROM_DEMO, *ignore))
    _append_settings(dest / "demo" / "settings.py", settings)
    return dest


def copy_project(name: str, dest: Path, *, settings: str = "") -> Path:
    """A copy of tests/projects/``name`` at ``dest``; ``settings`` is appended to its
    ``site_<name>/settings.py``."""
    shutil.copytree(PROJECTS / name, dest, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    _append_settings(dest / f"site_{name}" / "settings.py", settings)
    return dest


# -- bolt runs that end by themselves --------------------------------------------------------------


def run_bolt(project: str | Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``bolt --cores 1 --port 0 *args`` in ``project`` (a name under tests/projects, or a
    folder), expected to exit by itself (a start-up error); returns the finished process."""
    cwd = project if isinstance(project, Path) else PROJECTS / project
    return subprocess.run(
        [bolt_executable(), "--cores", "1", "--port", "0", *args],
        cwd=cwd,
        env=env or server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def start_badsig(tmp_path: Path, source: str, head: str | None = None) -> subprocess.CompletedProcess:
    """``bolt`` on a copy of tests/projects/badsig whose api.py is ``head`` (``BADSIG_HEAD`` by
    default) + ``source``; returns the finished process (it is expected to refuse to start)."""
    proj = copy_project("badsig", tmp_path / "p")
    (proj / "site_badsig" / "api.py").write_text((BADSIG_HEAD if head is None else head) + source)
    return run_bolt(proj)
