"""Two bolt hosts behind nginx, sharing one PostgreSQL and one Redis, on a private LAN of network
namespaces (support/netns.py), for tests/multihost:

    hub  10.77.0.1   bridge; PostgreSQL :5432, Redis :6379, nginx :8080 (upstream: both hosts)
    a    10.77.0.11  bolt --cores 1 on tests/projects/multihost, MH_HOST=a, :8000
    b    10.77.0.12  the same, MH_HOST=b

The test talks only from inside the hub (``cluster.get``/``post`` enter it for the call), so no
packet of the test crosses this machine's own namespace. Everything started here is stopped, and
the namespaces deleted, when the module ends, also after a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import netns
from support.boltproc import BANNER_DRIVERS, BoltProcess, bolt_executable
from support.paths import PROJECTS
from support.pg import SUPERUSER, PostgresServer, binaries_missing

PROJECT = PROJECTS / "multihost"
HUB = "10.77.0.1"
HOSTS = {"a": "10.77.0.11", "b": "10.77.0.12"}
BOLT_PORT = 8000
NGINX_PORT = 8080
REDIS_PORT = 6379
PG_PORT = 5432
DBNAME = "multihost"
USER = ("alice", "alice-pass-1")
# A host boots a sub-interpreter with Django and the project: seconds, but far more on a machine
# busy with builds (one restart took over 30 s at a load average of 30 on 2 cores).
START_TIMEOUT = 60.0
# A host is retried by nginx this long after it failed (max_fails=1): short, so a host that came
# back takes traffic again within the test.
FAIL_TIMEOUT_S = 1

NGINX_CONF = """\
# nginx in front of the hosts (tests/multihost), started by the test as root inside the hub
# namespace, in the foreground. Its workers run as root too: the prefix is the test's private
# temporary directory (mode 0700), which nginx's usual worker user could not enter.
daemon off;
worker_processes 1;
user root;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$request $status upstream=$upstream_addr statuses=$upstream_status';
    access_log {prefix}/access.log upstream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    upstream bolt {{
        server {a}:{port} max_fails=1 fail_timeout={fail_timeout}s;
        server {b}:{port} max_fails=1 fail_timeout={fail_timeout}s;
        keepalive 16;
    }}
    server {{
        listen {hub}:{listen};
        location / {{
            proxy_pass http://bolt;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # A host that refuses, resets or times out: the request goes to the other one. nginx
            # retries only idempotent requests (GET, HEAD, ...) once they were sent.
            proxy_next_upstream error timeout http_502;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 1s;
            proxy_read_timeout 10s;
        }}
    }}
}}
"""


def _require() -> None:
    """Skips (fails under CI) unless everything the LAN needs is here."""
    why = netns.missing()
    if why is None:
        why = binaries_missing()
    if why is None:
        lacking = [b for b in ("nginx", "redis-server") if shutil.which(b) is None]
        if lacking:
            why = f"{', '.join(lacking)} not installed (Debian: apt-get install -y nginx redis-server)"
    if why is None:
        try:
            import redis  # noqa: F401
        except ImportError:
            why = "the redis package is not installed (pip install -r requirements-dev.txt)"
    if why is None:
        return
    if os.environ.get("CI") and os.geteuid() == 0:
        pytest.fail(f"{why} (CI is set: the machine must have it)", pytrace=False)
    pytest.skip(why)


class HubPostgres(PostgresServer):
    """tests/support/pg.py's server, also listening on the hub's address for the hosts, on a
    port known before it starts (the hub is a namespace of its own: nothing else binds there),
    so the hosts can boot while it is being made."""

    def _start_on_free_port(self) -> None:
        self.port = PG_PORT
        self.start()

    def _init(self) -> None:
        super()._init()
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"listen_addresses = '127.0.0.1,{HUB}'\n")
        with open(self.data / "pg_hba.conf", "a") as f:
            f.write(f"host all all {HUB}/24 trust\n")


HOST_BANNER = re.compile(r"listening on http://([\d.]+):(\d+)")


class HostProcess(BoltProcess):
    """A bolt host: the banner names its LAN address, not 127.0.0.1."""

    def _on_stdout(self, line: str) -> None:
        with self._lines:
            m = HOST_BANNER.search(line)
            if m:
                self.ports.append(int(m.group(2)))
                if self.port is None:
                    self.port = int(m.group(2))
                    self._ready.set()
            self._lines.notify_all()

    @property
    def drivers(self) -> list[str]:
        banner = next((line for line in self._out.lines if HOST_BANNER.search(line)), "")
        m = BANNER_DRIVERS.search(banner)
        return m.group(1).split(",") if m else []


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Cluster:
    def __init__(self, lan: netns.Lan, driver: str, env: dict[str, str], root: Path) -> None:
        self.lan = lan
        self.driver = driver
        self.env = env
        self.root = root
        self.hosts: dict[str, HostProcess] = {}  # the hosts that should be running
        self.launched: list[HostProcess] = []  # every host process ever started (killed at the end)
        self.nginx: subprocess.Popen | None = None

    # -- clients, always from inside the hub -------------------------------------------------
    def request(self, method: str, path: str, *, to: str = "nginx", body=None, headers: dict | None = None) -> Reply:
        """One request from the hub to nginx (``to="nginx"``) or straight to host ``a``/``b``."""
        address, port = (HUB, NGINX_PORT) if to == "nginx" else (HOSTS[to], BOLT_PORT)
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        with self.lan.inside("hub"):
            conn = http.client.HTTPConnection(address, port, timeout=10)
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
            finally:
                conn.close()

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body, **kw) -> Reply:
        return self.request("POST", path, body=body, **kw)

    def access_log(self) -> list[str]:
        return (self.root / "nginx" / "access.log").read_text().splitlines()

    # -- hosts ---------------------------------------------------------------------------------
    def launch_host(self, role: str) -> HostProcess:
        args = [
            bolt_executable(),
            "--cores", "1",
            "--host", HOSTS[role],
            "--port", str(BOLT_PORT),
            "--driver", self.driver,
            "--log-level", "warning",
        ]  # fmt: skip
        with self.lan.inside(role):
            proc = HostProcess(args, cwd=PROJECT, env={**self.env, "MH_HOST": role})
        self.hosts[role] = proc
        self.launched.append(proc)
        return proc

    def start_host(self, role: str) -> HostProcess:
        proc = self.launch_host(role)
        proc.wait_ready(START_TIMEOUT)
        return proc

    def wait_in_rotation(self, role: str, attempts: int = 200) -> None:
        """Until nginx sends a request to ``role`` again (after ``FAIL_TIMEOUT_S`` it tries it)."""
        for _ in range(attempts):
            if self.get("/host").json()["host"] == role:
                return
            time.sleep(0.05)
        raise AssertionError(f"nginx never sent a request to host {role}\n{self.access_log()[-20:]}")

    def stop_all(self) -> None:
        """SIGINT to every host at once; each must exit 0 (a clean shutdown)."""
        hosts, self.hosts = self.hosts, {}
        for proc in hosts.values():
            proc.assert_alive()
            proc.proc.send_signal(signal.SIGINT)
        for role, proc in hosts.items():
            code = proc.wait_exit(START_TIMEOUT)
            if code is None:
                proc.kill()
            assert code == 0, f"host {role} exited with {code} after SIGINT\n{proc.output()}"

    def redis(self):
        """A redis-py client on the shared Redis (use it inside ``lan.inside("hub")``)."""
        import redis

        return redis.Redis(host=HUB, port=REDIS_PORT, socket_connect_timeout=2)


def _start_redis(root: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            f"{HUB} 127.0.0.1",
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--protected-mode",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(root / "redis.log"),
        ],  # fmt: skip
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host=HUB, port=REDIS_PORT, socket_connect_timeout=1)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            client.ping()
            client.close()
            return proc
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (root / "redis.log").read_text(errors="replace") if (root / "redis.log").exists() else ""
                proc.kill()
                raise RuntimeError(f"redis-server did not start (exit {proc.poll()})\n{log}") from None
            time.sleep(0.05)


def _start_nginx(root: Path) -> subprocess.Popen:
    prefix = root / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            prefix=prefix,
            hub=HUB,
            listen=NGINX_PORT,
            a=HOSTS["a"],
            b=HOSTS["b"],
            port=BOLT_PORT,
            fail_timeout=FAIL_TIMEOUT_S,
        )
    )
    proc = subprocess.Popen(
        ["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import socket

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            socket.create_connection((HUB, NGINX_PORT), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log = (prefix / "error.log").read_text(errors="replace") if (prefix / "error.log").exists() else ""
                raise RuntimeError(f"nginx did not start (exit {proc.poll()})\n{log}") from None
            time.sleep(0.05)


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _prepare_database(pg: PostgresServer, env: dict[str, str]) -> None:
    """Creates the database, migrates it and adds the test's user, in one ``manage.py`` run (from
    the hub: it connects to the hub's address, as the hosts do)."""
    pg.create_database(DBNAME)
    user, password = USER
    script = (
        "from django.core.management import call_command\n"
        "from django.contrib.auth.models import User\n"
        "call_command('migrate', verbosity=0)\n"
        f"User.objects.create_user({user!r}, password={password!r})\n"
    )
    proc = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"migrating the multihost project failed\n{proc.stdout}\n{proc.stderr}")


def serve_cluster(driver: str) -> Iterator[Cluster]:
    """Generator behind the ``cluster`` fixture (tests/multihost/conftest.py): the LAN with
    PostgreSQL, Redis, nginx and both hosts serving; all of it stopped and removed afterwards."""
    _require()
    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="bolt-multihost-", dir="/tmp"))
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        lan = netns.Lan.create("mh", hosts=HOSTS, hub_address=HUB)
        stack.callback(lan.destroy)  # runs last: every process in the namespaces is gone by then
        env = {
            **os.environ,
            "MH_PG_HOST": HUB,
            "MH_PG_PORT": str(PG_PORT),
            "MH_PG_NAME": DBNAME,
            "MH_PG_USER": SUPERUSER,
            "MH_REDIS_URL": f"redis://{HUB}:{REDIS_PORT}/0",
            "MH_PROXY": HUB,
            # psycopg's C build refuses sub-interpreters; the pure-Python one loads libpq via ctypes.
            "PSYCOPG_IMPL": "python",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        cluster = Cluster(lan, driver, env, root)
        stack.callback(lambda: [p.kill() for p in cluster.launched])
        # The hosts boot (no query: Django connects on a request's first use) while the
        # database and Redis are made: start-up costs the longer of the two, not the sum.
        for role in HOSTS:
            cluster.launch_host(role)
        with lan.inside("hub"):
            pg = HubPostgres.create()
            stack.callback(pg.destroy)
            _prepare_database(pg, env)
            redis_proc = _start_redis(root)
            stack.callback(_stop, redis_proc)
        for proc in cluster.hosts.values():
            proc.wait_ready(START_TIMEOUT)
        with lan.inside("hub"):
            cluster.nginx = _start_nginx(root)
        stack.callback(_stop, cluster.nginx)
        yield cluster
        cluster.stop_all()  # the hosts a test did not stop on purpose must still be running
