"""``bolt --version`` and ``bolt check`` against real projects, as subprocesses of the ``bolt``
executable: a good project passes with a summary and binds nothing; each kind of broken one is
reported (exit 1) with every problem the main interpreter finds, and a module that refuses
sub-interpreters is found by booting a worker's interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.boltproc import bolt_executable, drivers_under_test, server_env
from support.paths import DEMO, PROJECTS, TESTS
from support.projects import copy_project

pytestmark = pytest.mark.skipif(
    "uring" not in drivers_under_test(), reason="driver-independent: runs in the io_uring pass only"
)


def bolt(cwd: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, bolt_executable(), *args], cwd=cwd, env=server_env(), capture_output=True, text=True, timeout=60
    )


def test_version_names_package_python_and_drivers():
    r = bolt(DEMO, "--version")
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert line.startswith("django-bolt 0.1.0 | Python 3.13."), line
    assert "drivers: " in line and "epoll" in line


def test_django_bolt_console_script_prints_the_version_as_django_bolt_does():
    # django-bolt 0.13's `django-bolt version`, installed beside `bolt`.
    script = Path(bolt_executable()).parent / "django-bolt"
    r = subprocess.run([str(script), "version"], env=server_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Django-Bolt version: 0.1.0\n"
    r = subprocess.run([str(script), "--help"], env=server_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "version" in r.stdout


def test_version_says_when_io_uring_is_refused():
    # Under a seccomp filter refusing io_uring_setup with EPERM, as a container profile might.
    r = bolt(DEMO, "--version", prefix=(sys.executable, str(TESTS / "support" / "nouring.py"), "1"))
    assert r.returncode == 0, r.stderr
    assert "drivers: epoll (io_uring refused" in r.stdout, r.stdout


def test_check_passes_the_demo_with_a_summary_and_no_port(demo_db):
    # --port 1 would need root to bind: a check that tried to bind would fail.
    r = bolt(DEMO, "check", "--cores", "2", "--port", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert out.startswith("bolt check: OK | demo.settings | routes "), out
    routes = int(out.split("| routes ")[1].split()[0])
    assert routes > 20
    assert "| docs at /docs |" in out and "| cores 2 |" in out
    assert "listening" not in out + r.stderr


def test_check_names_a_module_that_refuses_subinterpreters():
    # xxlimited_35 imports in the main interpreter; only a worker's interpreter refuses it.
    r = bolt(PROJECTS / "incompatible", "check")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "in a worker's sub-interpreter" in r.stderr
    assert "xxlimited_35 cannot load in a sub-interpreter" in r.stderr
    assert "--isolation process" in r.stderr


def test_check_reports_every_problem_it_finds(tmp_path):
    # A refused setting, two duplicate routes: three numbered problems in one run.
    proj = copy_project("dupes", tmp_path / "p", settings="BOLT_MAX_HEADER_SIZE = 65536\n")
    api = proj / "site_dupes" / "api.py"
    api.write_text(
        api.read_text()
        + '\n\n@other.post("/hello")\ndef p1() -> dict:\n    return {}\n\n\n@api.post("/hello")\ndef p2() -> dict:\n    return {}\n'
    )
    r = bolt(proj, "check")
    assert r.returncode == 1, r.stdout + r.stderr
    err = r.stderr
    assert "bolt check: 3 problems in site_dupes.settings" in err, err
    assert "1. settings: ImproperlyConfigured: BOLT_MAX_HEADER_SIZE is not supported" in err
    assert "2. duplicate route GET /hello" in err
    assert "3. duplicate route POST /hello" in err


def test_check_reports_a_router_conflict_and_a_broken_import(tmp_path):
    proj = copy_project("dupes", tmp_path / "p")
    (proj / "site_dupes" / "api.py").write_text(
        "from django_bolt import BoltAPI\n\napi = BoltAPI()\n\n\n"
        '@api.get("/items/{a}")\ndef one(a: int) -> dict:\n    return {}\n\n\n'
        '@api.get("/items/{b}")\ndef two(b: int) -> dict:\n    return {}\n'
    )
    r = bolt(proj, "check")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "route table:" in r.stderr and "/items/{b}" in r.stderr, r.stderr
    r = bolt(PROJECTS / "badapi", "check")
    assert r.returncode == 1
    assert "kaboom while importing the API" in r.stderr and "Traceback" in r.stderr
    r = bolt(PROJECTS / "brokensettings", "check")
    assert r.returncode == 1
    assert "an_app_that_does_not_exist" in r.stderr
