"""``deploy/Containerfile``: this machine has no container registry, so the image is never built
here (README "Deploying" says so). What is checked instead, for real: the image's ``CMD`` (the
exact arguments, with ``bolt`` from this checkout and port 0 for 8000) serves the demo on
0.0.0.0, its ``HEALTHCHECK`` command passes against that server, and its ``STOPSIGNAL`` stops it
cleanly; the build stage pins the same maturin/zig as requirements-dev.txt; the image runs as a
user other than root. Installing the wheel into a fresh venv (the runtime stage's ``pip install``)
is tests/wheel/test_install.py's."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.boltproc import BoltProcess, bolt_executable, drivers_under_test
from support.paths import DEMO, REPO
from support.wire import fetch

CONTAINERFILE = REPO / "deploy" / "Containerfile"


def instructions(path: Path = CONTAINERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        word, _, rest = whole.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for ins in instructions():
        if ins[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(ins)
    return found


def final(name: str) -> str:
    args = [rest for word, rest in stages()[-1] if word == name]
    assert args, f"the image stage has no {name}"
    return args[-1]


def test_two_stages_and_an_unprivileged_user():
    build, image = stages()
    assert build[0][1].endswith(" AS build")
    assert any(w == "RUN" and "scripts/wheel.sh" in r for w, r in build)
    assert any(w == "COPY" and r.startswith("--from=build ") for w, r in image)
    python = next(r.split("=", 1)[1] for w, r in instructions() if w == "ARG" and r.startswith("PYTHON="))
    assert python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "slim" in image[0][1]
    user = final("USER")
    assert user not in ("root", "0")
    words = [w for w, _ in image]
    assert words.index("USER") < words.index("CMD")


def test_the_build_stage_pins_the_wheel_tools_of_requirements_dev():
    wanted = {}
    for line in (REPO / "requirements-dev.txt").read_text().splitlines():
        m = re.match(r"(maturin|ziglang)\b(\S*)", line.strip())
        if m:
            wanted[m.group(1)] = m.group(0)
    run = next(r for w, r in stages()[0] if w == "RUN" and "maturin" in r)
    pinned = dict(re.findall(r'"((maturin|ziglang)[^"]*)"', run))
    assert {v: k for k, v in pinned.items()} == wanted


@pytest.mark.skipif("uring" not in drivers_under_test(), reason="driver-independent: runs in the io_uring pass only")
def test_the_images_command_serves_and_its_healthcheck_passes(demo_db, driver):
    cmd = json.loads(final("CMD"))
    assert cmd[0] == "bolt"
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    port_at = cmd.index("--port") + 1
    assert cmd[port_at] == "8000"
    argv = [bolt_executable(), *cmd[1:]]
    argv[port_at] = "0"
    server = BoltProcess([*argv, "--driver", driver], DEMO)
    try:
        port = int(server.wait_stdout(r"listening on http://0\.0\.0\.0:(\d+)", timeout=60).group(1))
        assert fetch(port, "GET", "/hello").json() == {"message": "Hello, World!"}
        check = final("HEALTHCHECK")
        probe = json.loads(check[check.index("CMD ") + 4 :])
        assert probe[0] == "python"
        probe = [sys.executable, *(a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in probe[1:])]
        assert any(f":{port}/" in a for a in probe), "the health check's URL changed: update the test"
        assert subprocess.run(probe, timeout=30).returncode == 0
        server.proc.send_signal(getattr(signal, final("STOPSIGNAL")))
        assert server.proc.wait(30) == 0, server.output()
    finally:
        if server.proc.poll() is None:
            server.kill()
    # The health check fails once nothing serves (it is a check, not a formality).
    assert subprocess.run(probe, timeout=30, capture_output=True).returncode != 0
