"""``django_bolt.nanodjango``: a nanodjango single-file app served by a real bolt, spoken to over
raw HTTP. Each core's sub-interpreter imports the script itself (``Django()`` configures Django
there), so every test that serves looks for answers from both cores' interpreters."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.boltproc import BoltProcess, bolt_executable, server_env
from support.paths import REPO
from support.wire import HOST, fetch

SCRIPT = textwrap.dedent(
    """
    import os

    from django.db import models
    from nanodjango import Django

    from django_bolt import _native
    from django_bolt.nanodjango import BoltAPI

    app = Django()
    bolt = BoltAPI()


    @app.admin
    class Item(models.Model):
        name = models.CharField(max_length=50)


    @app.route("/page/")
    def page(request):
        return "a nanodjango view"


    @bolt.get("/hello")
    async def hello(request):
        return {"message": "hello", "interp": _native.interp_id(), "pid": os.getpid()}


    @bolt.post("/items")
    def add_item(request, name: str) -> dict:
        return {"id": Item.objects.create(name=name).id, "interp": _native.interp_id()}


    @bolt.get("/items")
    def list_items(request) -> dict:
        names = list(Item.objects.order_by("id").values_list("name", flat=True))
        return {"names": names, "interp": _native.interp_id()}


    if __name__ == "__main__":
        import sys

        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    """
)

TIMEOUT = 120


def _env() -> dict[str, str]:
    # The script's own Django: not the test session's settings module (server_env drops it).
    # django-admin (nanodjango convert runs it) from this venv.
    env = server_env()
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)


def _app_dir(root: Path) -> Path:
    """A folder with ``shop.py`` and its database, migrated (the model's table included), as a
    nanodjango user would: ``python shop.py makemigrations shop``, ``python shop.py migrate``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "shop.py").write_text(SCRIPT)
    for command in (["makemigrations", "shop"], ["migrate"]):
        r = _run([sys.executable, "shop.py", *command], root)
        assert r.returncode == 0, r.stdout + r.stderr
    return root


def _start(args: list[str], cwd: Path, driver: str) -> BoltProcess:
    server = BoltProcess([*args, "--cores", "2", "--host", HOST, "--port", "0", "--driver", driver], cwd, env=_env())
    try:
        server.wait_ready(60)
    except BaseException:
        server.kill()
        raise
    return server


def _by_core(port: int, method: str, target: str, key: str = "interp", attempts: int = 400) -> dict[int, dict]:
    """``target``'s JSON answer from each core's interpreter (fresh connections until both
    answered); ``key="pid"``: from each worker process."""
    seen: dict[int, dict] = {}
    for _ in range(attempts):
        resp = fetch(port, method, target)
        assert resp.status == 200, (resp.status, resp.body)
        body = resp.json()
        seen.setdefault(body[key], body)
        if len(seen) == 2:
            break
    return seen


@pytest.fixture(scope="module")
def script_server(tmp_path_factory, driver) -> Iterator[BoltProcess]:
    """``python shop.py runbolt`` on two cores."""
    root = _app_dir(tmp_path_factory.mktemp("nano"))
    server = _start([sys.executable, "shop.py", "runbolt"], root, driver)
    yield server
    assert server.stop() == 0, server.output()


def test_python_script_runbolt_serves_the_routes_on_both_cores(script_server):
    answers = _by_core(script_server.port, "GET", "/hello")
    assert len(answers) == 2, f"one core answered: {answers}\n{script_server.output()}"
    assert all(a["message"] == "hello" for a in answers.values())


def test_a_model_in_the_script_works_through_the_orm_on_both_cores(script_server):
    added = _by_core(script_server.port, "POST", "/items?name=pen")
    assert len(added) == 2, added
    # What one core wrote, the other reads (one database file, each core its own connection).
    listed = _by_core(script_server.port, "GET", "/items")
    assert len(listed) == 2, listed
    for answer in listed.values():
        assert answer["names"].count("pen") >= 2, answer


def test_the_scripts_django_views_fall_through_on_both_cores(script_server):
    # Not a bolt route: Django's handler in each worker serves nanodjango's own URL patterns.
    for _ in range(20):
        resp = fetch(script_server.port, "GET", "/page/")
        assert resp.status == 200 and resp.body == b"a nanodjango view", (resp.status, resp.body)


def test_nanodjango_manage_runbolt_serves_the_prepared_app(tmp_path, driver):
    """``nanodjango manage shop.py runbolt``: nanodjango prepares the app before the command
    (here: the admin its ``@app.admin`` asks for); each worker prepares its copy the same way."""
    root = _app_dir(tmp_path / "nano")
    server = _start([sys.executable, "-m", "nanodjango", "manage", "shop.py", "runbolt"], root, driver)
    try:
        assert len(_by_core(server.port, "GET", "/hello")) == 2
        for _ in range(20):
            resp = fetch(server.port, "GET", "/admin/login/")
            assert resp.status == 200 and b"Django administration" in resp.body, (resp.status, resp.body[:300])
    finally:
        assert server.stop() == 0, server.output()


def test_runbolt_processes_serves_the_script_from_forked_workers(tmp_path, driver):
    """``--processes 2``: the worker processes are forks of the loaded main interpreter, which
    has the script already (importing it again would be a second ``Django()``, an error)."""
    root = _app_dir(tmp_path / "nano")
    server = BoltProcess(
        [sys.executable, "shop.py", "runbolt", "--processes", "2", "--host", HOST, "--port", "0", "--driver", driver],
        root,
        env=_env(),
    )
    try:
        server.wait_ready(60)
        answers = _by_core(server.port, "GET", "/hello", key="pid")
        assert len(answers) == 2 and server.pid not in answers, answers
    finally:
        assert server.stop() == 0, server.output()


def test_runbolt_dev_restarts_the_script_on_a_change(tmp_path, driver):
    """``--dev``: the server child imports the script as the workers do, and a saved change
    to the script is served by a new child, on both cores."""
    root = _app_dir(tmp_path / "nano")
    server = _start([sys.executable, "shop.py", "runbolt", "--dev"], root, driver)
    try:
        assert len(_by_core(server.port, "GET", "/hello")) == 2
        script = root / "shop.py"
        script.write_text(script.read_text().replace('"message": "hello"', '"message": "changed"'))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if fetch(server.port, "GET", "/hello").json()["message"] == "changed":
                    break
            except (OSError, AssertionError):
                pass  # between two children
            time.sleep(0.1)
        answers = _by_core(server.port, "GET", "/hello")
        assert len(answers) == 2 and all(a["message"] == "changed" for a in answers.values()), server.output()
    finally:
        assert server.stop() == 0, server.output()


def test_bolt_api_before_django_is_improperly_configured(tmp_path):
    (tmp_path / "early.py").write_text(
        "from django_bolt.nanodjango import BoltAPI\n\nbolt = BoltAPI()\n\n"
        "from nanodjango import Django\n\napp = Django()\n"
    )
    r = _run([sys.executable, "early.py"], tmp_path)
    assert r.returncode == 1
    assert (
        "django.core.exceptions.ImproperlyConfigured: django_bolt.nanodjango.BoltAPI() was created before "
        "Django settings are configured: create the nanodjango app first (app = Django(), then bolt = BoltAPI())"
    ) in r.stderr, r.stderr


def test_convert_moves_the_bolt_routes_into_a_project_bolt_serves(tmp_path, driver):
    root = _app_dir(tmp_path / "nano")
    r = _run([sys.executable, "-m", "nanodjango", "convert", "shop.py", str(tmp_path / "site"), "--name", "proj"], root)
    assert r.returncode == 0, r.stdout + r.stderr
    site = tmp_path / "site"
    api = (site / "proj" / "shop" / "api.py").read_text()
    assert "bolt = BoltAPI()" in api and "async def hello(" in api and "def list_items(" in api, api
    # nanodjango's django-ninja lines are gone: pydantic cannot load in a sub-interpreter.
    assert "ninja" not in api.lower(), api
    settings = (site / "proj" / "settings.py").read_text()
    assert '"django_bolt"' in settings, settings
    migrate = _run([sys.executable, "manage.py", "migrate", "--run-syncdb"], site)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    server = _start([bolt_executable()], site, driver)
    try:
        assert len(_by_core(server.port, "GET", "/hello")) == 2
        assert fetch(server.port, "POST", "/items?name=cup").status == 200
        assert "cup" in fetch(server.port, "GET", "/items").json()["names"]
    finally:
        assert server.stop() == 0, server.output()


def test_the_readme_example_serves_as_written(tmp_path, driver):
    readme = (REPO / "README.md").read_text()
    script = re.search(r"```python\n# shop\.py\n(.*?)```", readme, re.S)
    assert script, "the README's nanodjango example (a python block starting '# shop.py')"
    (tmp_path / "shop.py").write_text(script.group(1))
    server = _start([sys.executable, "shop.py", "runbolt"], tmp_path, driver)
    try:
        assert fetch(server.port, "GET", "/hello").json() == {"message": "hello"}
    finally:
        assert server.stop() == 0, server.output()
