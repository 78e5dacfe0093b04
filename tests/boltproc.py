"""Start and stop a real ``bolt`` process on the demo project.

    server = BoltProcess.start(cores=1, driver="uring")   # waits for the banner
    ... talk to server.port ...
    server.stop()                                          # SIGINT, expects exit 0

The server picks its own port (``--port 0``) and reports it in its banner line,
``listening on http://127.0.0.1:<port>``: no bind-close-reuse port race.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"
HOST = "127.0.0.1"
BANNER = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def bolt_executable() -> str:
    """The ``bolt`` console script of the running interpreter's environment
    (or ``$BOLT_BIN``, to test another build)."""
    if os.environ.get("BOLT_BIN"):
        return os.environ["BOLT_BIN"]
    beside = Path(sys.executable).parent / "bolt"
    if beside.exists():
        return str(beside)
    found = shutil.which("bolt")
    if found:
        return found
    raise RuntimeError(
        f"no `bolt` executable next to {sys.executable} or on PATH: "
        "install the package into the venv first (maturin develop / pip install -e .)"
    )


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DEMO_DEBUG", None)  # the tests rely on DEBUG off (no tracebacks in 500s)
    env.pop("DEMO_NO_BOLT", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # bolt must find it from manage.py
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_demo_setup() -> None:
    """``examples/demo/setup.sh`` with this interpreter: migrate and seed."""
    proc = subprocess.run(
        ["sh", str(DEMO / "setup.sh")],
        env={**server_env(), "PYTHON": sys.executable},
        cwd=DEMO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"setup.sh failed with exit code {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )


class _Drain(threading.Thread):
    """Reads a pipe line by line so the server never blocks on a full pipe."""

    def __init__(self, stream, on_line=None):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[str] = []
        self.on_line = on_line

    def run(self) -> None:
        for line in iter(self.stream.readline, ""):
            self.lines.append(line)
            if self.on_line:
                self.on_line(line)
        self.stream.close()

    def text(self) -> str:
        return "".join(self.lines)


class BoltProcess:
    def __init__(self, args: list[str], cwd: Path = DEMO):
        self.args = args
        self.port: int | None = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=server_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        self._out = _Drain(self.proc.stdout, self._on_stdout)
        self._err = _Drain(self.proc.stderr)
        self._out.start()
        self._err.start()

    @classmethod
    def launch(
        cls,
        *,
        cores: int | str = 1,
        driver: str = "uring",
        port: int = 0,
        log_level: str = "warning",
        extra: list[str] = (),
        cwd: Path = DEMO,
    ) -> BoltProcess:
        """Start bolt without waiting for it (see ``wait_ready``)."""
        args = [
            bolt_executable(),
            "--cores", str(cores),
            "--host", HOST,
            "--port", str(port),
            "--driver", driver,
            "--log-level", log_level,
            *extra,
        ]  # fmt: skip
        return cls(args, cwd)

    @classmethod
    def start(cls, **kwargs) -> BoltProcess:
        server = cls.launch(**kwargs)
        try:
            server.wait_ready()
        except BaseException:
            server.kill()
            raise
        return server

    def _on_stdout(self, line: str) -> None:
        m = BANNER.search(line)
        if m and self.port is None:
            self.port = int(m.group(1))
            self._ready.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stdout(self) -> str:
        return self._out.text()

    @property
    def stderr(self) -> str:
        return self._err.text()

    def output(self) -> str:
        return (
            f"command: {' '.join(self.args)}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr[-8000:]}"
        )

    def wait_ready(self, timeout: float = START_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._join_drains()
                raise RuntimeError(
                    f"bolt exited with code {self.proc.returncode} before its banner\n{self.output()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"no `listening on` banner within {timeout}s\n{self.output()}")
        assert self.port
        return self.port

    def wait_exit(self, timeout: float) -> int | None:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._join_drains()
        return code

    def _join_drains(self) -> None:
        self._out.join(2)
        self._err.join(2)

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def assert_alive(self) -> None:
        if not self.is_alive():
            self._join_drains()
            raise AssertionError(f"bolt died with exit code {self.proc.returncode}\n{self.output()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``sig``, wait for exit; returns the exit code (kills on timeout and raises)."""
        self.assert_alive()
        self.proc.send_signal(sig)
        code = self.wait_exit(timeout)
        if code is None:
            self.kill()
            raise AssertionError(
                f"bolt did not exit within {timeout}s of {signal.Signals(sig).name}\n{self.output()}"
            )
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._join_drains()
