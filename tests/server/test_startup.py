"""Start-up errors: each is one clear message on stderr and exit code 1, never a hang."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.boltproc import BoltProcess, bolt_executable, server_env
from support.paths import DEMO, PROJECTS
from support.projects import copy_project, run_bolt, start_badsig
from support.wire import fetch


def test_api_module_that_raises_stops_startup_with_its_traceback():
    r = run_bolt("badapi")
    assert r.returncode == 1
    assert "site_badapi.api" in r.stderr
    assert "kaboom while importing the API" in r.stderr
    assert "Traceback" in r.stderr


def test_no_api_found_says_where_it_looked():
    r = run_bolt("noapi")
    assert r.returncode == 1
    assert "no BoltAPI found" in r.stderr
    assert "site_noapi.api" in r.stderr


def test_broken_settings_name_the_settings_file():
    r = run_bolt("brokensettings")
    assert r.returncode == 1
    assert "site_brokensettings" in r.stderr
    assert "settings.py" in r.stderr
    assert "an_app_that_does_not_exist" in r.stderr


def test_missing_settings_module_is_named():
    r = run_bolt("noapi", "--settings", "no_such_settings_module")
    assert r.returncode == 1
    assert "no_such_settings_module" in r.stderr
    assert "not found" in r.stderr


def test_duplicate_routes_across_apis_are_a_startup_error():
    r = run_bolt("dupes")
    assert r.returncode == 1
    assert "duplicate route GET /hello" in r.stderr


def test_module_refused_by_subinterpreters_is_named_with_the_way_out():
    r = run_bolt("incompatible")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "xxlimited_35" in r.stderr
    assert "--isolation process" in r.stderr


def test_bad_cores_value_is_rejected():
    r = run_bolt("noapi", "--cores", "zero")
    assert r.returncode == 1
    assert "--cores" in r.stderr


def _older_pythons() -> dict[str, str]:
    """Pythons from 3.8 to 3.12 on this machine, one per version: ``python3.X`` on PATH, the
    ``python3`` of PATH and of /usr/bin (Debian's), and pyenv's when there is a pyenv."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(8, 13)]
    candidates += [shutil.which("python3"), "/usr/bin/python3", "/usr/local/bin/python3"]
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        if root:
            candidates += sorted(str(p) for p in Path(root).glob("versions/3.*/bin/python3"))
    found: dict[str, str] = {}
    for exe in filter(None, candidates):
        if not os.access(exe, os.X_OK):
            continue
        try:
            out = subprocess.run(
                [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if re.fullmatch(r"3\.(8|9|1[0-2])", out):
            found.setdefault(out, exe)
    return found


# Runs the real CLI entry points under this interpreter, with sys.version_info/sys.version saying
# 3.12.9: the version checks in cli.main (the `bolt` script, `python -m django_bolt`) and in
# cli.run_server (`manage.py runbolt`) are what answer.
_AS_IF_312 = """
import sys
from django_bolt import cli
sys.version_info = (3, 12, 9, "final", 0)
sys.version = "3.12.9 (simulated) " + sys.version.split(" ", 1)[1]
entry = sys.argv[1]
code = cli.main(["--cores", "1", "--port", "0"]) if entry == "main" else cli.run_server({"cores": "1", "port": 0})
sys.exit(code)
"""


@pytest.mark.parametrize("entry", ["main", "run_server"])
def test_python_older_than_313_is_refused(entry):
    """Needs no other Python: the checks see 3.12.9 and must refuse it before doing anything."""
    r = subprocess.run(
        [sys.executable, "-c", _AS_IF_312, entry],
        cwd=PROJECTS / "noapi",
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Python 3.13 or newer is required (this is 3.12.9)" in r.stderr
    if entry == "main":  # the entry point's own check answers, before argument parsing
        assert "own-GIL sub-interpreters cannot run Django on older versions" in r.stderr
    assert "no BoltAPI found" not in r.stderr  # refused before looking at the project


def test_python_older_than_313_is_refused_by_every_older_python_found():
    """``python -m django_bolt`` under each real older Python of the machine (Debian's python3,
    pyenv's...): the package imports far enough there to give the message, not a traceback. The
    simulated test above covers the check itself on a machine with no older Python."""
    import django_bolt

    pkg = Path(django_bolt.__file__).resolve().parent.parent  # the folder holding the package under test
    found = _older_pythons()
    if not found:
        pytest.skip("no Python 3.8-3.12 on this machine (the simulated test still ran)")
    for version, exe in found.items():
        r = subprocess.run(
            [exe, "-m", "django_bolt"],
            cwd=PROJECTS / "noapi",
            env={**server_env(), "PYTHONPATH": str(pkg)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 1, (exe, r.stdout + r.stderr)
        assert "Python 3.13 or newer is required" in r.stderr, (exe, r.stderr)
        assert f"(this is {version}." in r.stderr, (exe, r.stderr)
        assert "Traceback" not in r.stderr, (exe, r.stderr)


def test_python_m_django_bolt_is_the_same_cli():
    r = subprocess.run([sys.executable, "-m", "django_bolt", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "--cores" in r.stdout and "--driver" in r.stdout


def _serve_once(cwd: Path, driver: str, args: list[str] | None = None) -> str:
    """Starts a server in ``cwd`` (bolt, or the command ``args``) on ``driver``, fetches /hello,
    stops it."""
    server = BoltProcess([*args, "--driver", driver], cwd) if args else BoltProcess.launch(cwd=cwd, driver=driver)
    try:
        server.wait_ready()
        return fetch(server.port, "GET", "/hello").text
    finally:
        assert server.stop() == 0


def test_manage_py_runbolt_serves_the_project(demo_db, driver):
    body = _serve_once(DEMO, driver, [sys.executable, "manage.py", "runbolt", "--cores", "1", "--port", "0"])
    assert body == '{"message":"Hello, World!"}'


def test_started_from_a_subfolder_it_finds_the_project(demo_db, driver):
    body = _serve_once(DEMO / "people", driver)
    assert body == '{"message":"Hello, World!"}'


def test_settings_flag_works_from_anywhere(demo_db, tmp_path, driver):
    env_args = [bolt_executable(), "--cores", "1", "--port", "0", "--settings", "demo.settings"]
    # The settings module must be importable: run from the project root's parent with it on
    # PYTHONPATH, as a deployment would.
    import os as _os

    old = _os.environ.get("PYTHONPATH")
    _os.environ["PYTHONPATH"] = str(DEMO)
    try:
        body = _serve_once(tmp_path, driver, env_args)
    finally:
        if old is None:
            _os.environ.pop("PYTHONPATH")
        else:
            _os.environ["PYTHONPATH"] = old
    assert body == '{"message":"Hello, World!"}'


def test_bolt_api_setting_lists_the_apis_to_serve(driver):
    server = BoltProcess.start(cwd=PROJECTS / "boltapi", driver=driver)
    try:
        assert "| routes 2 |" in server.stdout
        assert fetch(server.port, "GET", "/hello").json() == {"from": "BOLT_API"}
        assert fetch(server.port, "GET", "/internal/stats").json() == {"ok": True}
        assert fetch(server.port, "GET", "/ignored").status == 404
    finally:
        assert server.stop() == 0


def test_api_modules_of_installed_apps_are_discovered(driver):
    """Without BOLT_API: the api.py next to ROOT_URLCONF and the api.py of every installed app
    (by module name or through an AppConfig) are all served."""
    server = BoltProcess.start(cwd=PROJECTS / "appsapi", driver=driver)
    try:
        assert "| routes 3 |" in server.stdout
        assert fetch(server.port, "GET", "/site").json() == {"from": "site_appsapi.api"}
        assert fetch(server.port, "GET", "/shop/items").json() == {"from": "shop.api"}
        assert fetch(server.port, "GET", "/inventory/count").json() == {"from": "inventory.api"}
    finally:
        assert server.stop() == 0


def test_isolation_process_with_dev_is_refused_with_a_clear_message():
    # --isolation process itself serves now (tests/process); the dev server does not run it.
    r = run_bolt("noapi", "--isolation", "process", "--dev")
    assert r.returncode == 1
    assert "--isolation process does not combine with --dev" in r.stderr


def test_bolt_api_entry_that_is_not_an_api_is_named(tmp_path):
    proj = copy_project("boltapi", tmp_path / "p", settings='BOLT_API = ["elsewhere.routes:hello"]\n')
    r = run_bolt(proj)
    assert r.returncode == 1
    assert "BOLT_API entry 'elsewhere.routes:hello'" in r.stderr and "is not a BoltAPI" in r.stderr


def test_signature_that_cannot_work_names_handler_and_parameter():
    r = run_bolt("badsig")
    assert r.returncode == 1
    assert "site_badsig.api.flags" in r.stderr
    assert "'enabled': gt/ge/lt/le/multiple_of apply to numbers only" in r.stderr


# A handler signature that cannot work, and what the start-up error must say about it.
SIGNATURE_ERRORS = {
    "two_bodies_without_embed": (
        "class A(Struct):\n    x: int\n\n\n@api.post('/two')\ndef two(a: A, b: A) -> dict:\n    return {}\n",
        ["site_badsig.api.two: several body parameters need Body(embed=True)"],
    ),
    "body_type_that_cannot_be_decoded": (
        "class A(Struct):\n    z: complex\n\n\n@api.post('/a')\ndef make(a: A) -> dict:\n    return {}\n",
        ["site_badsig.api.make: body parameter", "A.z: unsupported type complex"],
    ),
    "union_of_untagged_structs": (
        "class A(Struct):\n    x: int\n\n\nclass B(Struct):\n    y: int\n\n\n"
        "@api.post('/ab')\ndef ab(v: A | B) -> dict:\n    return {}\n",
        ["site_badsig.api.ab", "needs each to declare tag="],
    ),
    "response_model_that_cannot_be_encoded": (
        "@api.get('/c', response_model=list[complex])\ndef c():\n    return []\n",
        ["site_badsig.api.c: response_model", "unsupported type complex"],
    ),
    "body_type_naming_a_class_that_never_exists": (
        "class A(Struct):\n    x: 'Nowhere'\n\n\n@api.post('/a')\ndef make(a: A) -> dict:\n    return {}\n",
        ["site_badsig.api.make: body parameter", "cannot resolve the annotation 'Nowhere'"],
    ),
}


@pytest.mark.parametrize("case", SIGNATURE_ERRORS)
def test_signature_that_cannot_be_served_is_a_startup_error(tmp_path, case):
    source, expected = SIGNATURE_ERRORS[case]
    r = start_badsig(tmp_path, source)
    assert r.returncode == 1
    for text in expected:
        assert text in r.stderr, r.stderr
