"""A real, throwaway Redis for the tests (Debian's ``redis-server``): on a free port of
127.0.0.1, no persistence (no RDB snapshots, no AOF), its working directory a temporary one.

    r = RedisServer.start()
    r.url            # "redis://127.0.0.1:PORT/0", for Django's RedisCache LOCATION
    r.stop()

Without the binary or the ``redis`` Python package ``require_redis`` skips the test, or fails it
when ``CI`` is set (the machine must have them: scripts/env.sh installs both).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_TIMEOUT = 10.0


def redis_missing() -> str | None:
    """What is missing to run a Redis server for the tests, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server is not on PATH (apt-get install -y redis-server)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis package is not installed (pip install -r requirements-dev.txt)"
    return None


def require_redis() -> None:
    """Skips the calling test (fails it under ``CI``) unless redis-server and redis-py are here."""
    import pytest

    missing = redis_missing()
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{missing} (CI is set: the machine must have them)", pytrace=False)
    pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, port: int, root: Path, proc: subprocess.Popen) -> None:
        self.port = port
        self.root = root
        self.proc = proc

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls) -> RedisServer:
        root = Path(tempfile.mkdtemp(prefix="bolt-redis-"))
        last = ""
        for _ in range(5):  # a free port can be taken before redis binds it
            port = free_port()
            proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port", str(port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(root),
                    "--daemonize", "no",
                    "--loglevel", "warning",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
            server = cls(port, root, proc)
            if server._wait_ping():
                return server
            last = server._kill()
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"redis-server did not start:\n{last}")

    def client(self):  # -> redis.Redis
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def _wait_ping(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.client().ping():
                    return True
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.05)
        return False

    def _kill(self) -> str:
        self.proc.kill()
        out, _ = self.proc.communicate(timeout=10)
        return out or ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.root, ignore_errors=True)
