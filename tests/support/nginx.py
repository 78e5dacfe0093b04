"""A throwaway nginx for tests: its own prefix, pid file, logs and temp folders under a tmp
directory, in the foreground (``daemon off``), on a free loopback port.

    proxy = Nginx.start(tmp_path, site_text)     # site_text: what goes inside http {}, with
    ... talk to proxy.port ...                    # `listen {port}` put in by the caller's template
    proxy.stop()

``site`` is a callable from the chosen port to the ``http {}`` contents, so a caller templates
its listen directive; a port taken between choosing and binding is retried with another.
Debian's nginx is ``/usr/sbin/nginx``; ``require_tool`` skips a test without it (fails it under
``CI``, where scripts/env.sh installs it).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def require_tool(path: str | None, what: str) -> str:
    """``path``, or skip the test naming ``what`` (fail it under ``CI``)."""
    if path:
        return path
    message = f"{what} is not installed (Debian: scripts/env.sh installs it as root)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_MAIN = """daemon off;
master_process on;
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


class Nginx:
    def __init__(self, proc: subprocess.Popen, port: int, directory: Path):
        self.proc, self.port, self.dir = proc, port, directory

    @classmethod
    def start(cls, directory: Path, site: Callable[[int], str], timeout: float = 20.0) -> Nginx:
        nginx = require_tool(NGINX, "nginx")
        directory.mkdir(parents=True, exist_ok=True)
        # As root, nginx's workers would switch to `nobody`, which cannot enter pytest's tmp folders.
        user = "user root;" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(_MAIN.format(dir=directory, user=user))
        for _ in range(3):
            port = free_port()
            (directory / "site.conf").write_text(site(port))
            log = directory / "error.log"
            log.write_text("")
            proc = subprocess.Popen(
                [nginx, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(log)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return cls(proc, port, directory)
                except OSError:
                    time.sleep(0.05)
            proc.kill()
            proc.wait()
            if "Address already in use" not in log.read_text():
                break
        raise AssertionError(f"nginx did not start:\n{(directory / 'error.log').read_text()}")

    def stop(self) -> int:
        """SIGQUIT (nginx's graceful stop); its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()

    def error_log(self) -> str:
        return (self.dir / "error.log").read_text()
