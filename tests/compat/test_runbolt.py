"""``manage.py runbolt`` takes django-bolt 0.13's command line: ``--processes N --workers 1`` serve
with N worker processes (``--isolation process``, and say so), ``--no-admin`` and ``--workers-kill-timeout`` map to this server's flags,
and flags with no counterpart here are refused with a message instead of an argparse error."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management.base import CommandError

from django_bolt.management.commands.runbolt import django_bolt_options
from support.boltproc import BoltProcess, server_env
from support.paths import DEMO
from support.wire import fetch


def test_processes_become_cores_and_are_logged():
    said: list[str] = []
    out = django_bolt_options({"cores": "all", "processes": 4, "workers": 1}, log=said.append)
    assert out["cores"] == "4" and out["isolation"] == "process"
    assert said == ["django-bolt: --processes 4: 4 worker processes, one per core (--isolation process)"]


def test_no_admin_and_kill_timeout_map_to_this_servers_flags():
    out = django_bolt_options({"no_admin": True, "workers_kill_timeout": 5, "shutdown_timeout": None})
    assert out["no_django"] is True and out["shutdown_timeout"] == 5.0


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"workers": 4}, "--workers 4: each core runs one interpreter"),
        ({"processes": 0}, "--processes must be at least 1"),
        ({"processes": 2, "cores": "3"}, "give --processes or --cores, not both"),
        ({"max_rss": 512}, "--max-rss recycles worker processes: add --isolation process"),
        ({"workers_lifetime": 60}, "--workers-lifetime recycles worker processes: add --isolation process"),
        ({"respawn_failed_workers": True}, "--respawn-failed-workers: worker processes exist"),
    ],
)
def test_flags_without_a_counterpart_are_refused(given, message):
    with pytest.raises(CommandError, match=message):
        django_bolt_options({"cores": "all", **given})


def test_recycling_flags_are_accepted_with_processes():
    out = django_bolt_options(
        {"cores": "all", "processes": 2, "max_rss": 512, "workers_lifetime": 3600, "respawn_failed_workers": True}
    )
    assert out["isolation"] == "process" and out["max_rss"] == 512 and out["workers_lifetime"] == 3600


def test_their_off_values_are_accepted():
    off = {"max_rss": 0, "workers_lifetime": 0, "respawn_failed_workers": False, "reload_dirs": []}
    assert django_bolt_options({"cores": "all", **off})["cores"] == "all"


def test_runbolt_with_processes_and_workers_serves_on_that_many_cores(demo_db, driver):
    cmd = [sys.executable, "manage.py", "runbolt", "--processes", "2", "--workers", "1", "--port", "0"]
    server = BoltProcess([*cmd, "--driver", driver], DEMO)
    try:
        server.wait_ready()
        assert fetch(server.port, "GET", "/hello").json() == {"message": "Hello, World!"}
        assert "cores 2" in server.stdout + server.stderr
        assert "workers 2 processes" in server.stdout
        assert "--processes 2: 2 worker processes, one per core" in server.stderr
    finally:
        assert server.stop() == 0


def test_runbolt_refuses_a_flag_it_cannot_honour_with_a_message(demo_db):
    r = subprocess.run(
        [sys.executable, "manage.py", "runbolt", "--max-rss", "512", "--port", "0"],
        cwd=DEMO,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "--max-rss recycles worker processes: add --isolation process" in r.stderr
