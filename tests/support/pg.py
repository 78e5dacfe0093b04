"""A real, throwaway PostgreSQL for the tests (the ``postgres`` fixture in conftest.py).

    pg = PostgresServer.create()        # initdb + pg_ctl start, on a free port of 127.0.0.1
    pg.create_database("bolt_demo")
    env = pg.demo_env("bolt_demo")      # bolt's env: the demo's settings switched to PostgreSQL
    ...
    pg.destroy()                        # pg_ctl stop -m fast, remove the directory

Everything lives in one temporary directory: the cluster (``data/``), the server's unix socket
(``sock/``) and its log (``postgres.log``). Authentication is ``trust`` (local and TCP), and
durability is off (``fsync``, ``synchronous_commit``, ``full_page_writes``): a test database.

``initdb`` refuses to run as root. Under root (euid 0) every PostgreSQL binary runs as the
``postgres`` system user (the Debian packages create it), and the directory is chowned to it.

The binaries come from PATH (``initdb``, ``pg_ctl``, ``postgres``), or else from Debian's
``/usr/lib/postgresql/<version>/bin`` (the packages put only the client tools on PATH; the
newest version there wins). Without them ``require_binaries`` skips the test, or fails it when
``CI`` is set.

``BOLT_TEST_DATABASE=postgresql`` runs the ORM-backed tests on PostgreSQL instead of SQLite:
tests/conftest.py then points every server (and the in-process demo) at this server's
``bolt_demo``; ``scripts/test.sh`` runs that step once.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from support.projects import run_demo_setup

SYSTEM_USER = "postgres"  # who runs the binaries when we are root
SUPERUSER = "postgres"  # the cluster's superuser (trust auth, no password)
DEMO_DB = "bolt_demo"
START_TIMEOUT = 30
PORT_ATTEMPTS = 5
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "log_min_messages": "warning",
    "log_connections": "off",
}


BINARIES = ("initdb", "pg_ctl", "postgres")
DEBIAN_BIN = Path("/usr/lib/postgresql")


def bin_dir() -> Path | None:
    """The directory holding every server binary: PATH's, or Debian's newest version's."""
    found = {shutil.which(b) for b in BINARIES}
    if None not in found:
        dirs = {Path(f).parent for f in found if f}
        if len(dirs) == 1:
            return dirs.pop()
    versions = []
    for d in DEBIAN_BIN.glob("*/bin") if DEBIAN_BIN.is_dir() else ():
        if d.parent.name.isdigit() and all((d / b).exists() for b in BINARIES):
            versions.append((int(d.parent.name), d))
    if versions:
        return max(versions)[1]
    if None not in found:
        return Path(next(iter(found))).parent  # on PATH, in several directories: let PATH choose
    return None


def demo_database() -> str:
    """The database the demo's servers use in this session: ``BOLT_TEST_DATABASE``,
    ``sqlite`` (default) or ``postgresql``. Raises ValueError otherwise."""
    value = os.environ.get("BOLT_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
    if value not in ("sqlite", "postgresql"):
        raise ValueError(f"BOLT_TEST_DATABASE={value!r}: expected sqlite or postgresql")
    return value


def binaries_missing() -> str | None:
    """What is missing to run a PostgreSQL server, or None."""
    if bin_dir() is None:
        missing = [b for b in BINARIES if shutil.which(b) is None]
        return f"PostgreSQL binaries not on PATH nor in {DEBIAN_BIN}/*/bin: {', '.join(missing)}"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -r requirements-dev.txt)"
    return None


def require_binaries() -> None:
    """Skips the calling test (fails it under ``CI``) unless PostgreSQL and psycopg are here."""
    import pytest

    missing = binaries_missing()
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{missing} (CI is set: the machine must have them)", pytrace=False)
    pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresError(RuntimeError):
    pass


class PostgresServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.sock = root / "sock"
        self.log = root / "postgres.log"
        self.host = "127.0.0.1"
        self.port = 0
        self.user = SUPERUSER
        self._owner = pwd.getpwnam(SYSTEM_USER) if os.geteuid() == 0 else None

    # -- running the binaries ------------------------------------------------------------------
    def _run(self, *cmd: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        kwargs: dict = {}
        if self._owner is not None:
            kwargs = {"user": self._owner.pw_uid, "group": self._owner.pw_gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C", HOME=str(self.root))
        where = bin_dir()
        if where is not None:  # pg_ctl finds postgres beside itself; initdb too
            env["PATH"] = f"{where}{os.pathsep}{env.get('PATH', '')}"
            cmd = (str(where / cmd[0]), *cmd[1:])
        proc = subprocess.run(
            list(cmd), cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout, **kwargs
        )
        if check and proc.returncode != 0:
            raise PostgresError(
                f"{' '.join(cmd)} failed with {proc.returncode}\n{proc.stdout}\n{proc.stderr}\n"
                f"--- {self.log} ---\n{self.log_tail()}"
            )
        return proc

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _pg_ctl(self, action: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._run("pg_ctl", action, "-D", str(self.data), *args, timeout=START_TIMEOUT + 10, check=check)

    # -- life cycle ----------------------------------------------------------------------------
    @classmethod
    def create(cls) -> PostgresServer:
        """A new cluster, started on a free port of 127.0.0.1."""
        # Under root the directory must be reachable by the postgres user: /tmp, not a private $TMPDIR.
        root = Path(tempfile.mkdtemp(prefix="bolt-pg-", dir="/tmp" if os.geteuid() == 0 else None))
        server = cls(root)
        try:
            server._init()
            server._start_on_free_port()
        except BaseException:
            server.destroy()
            raise
        return server

    def _init(self) -> None:
        self.sock.mkdir()
        if self._owner is not None:
            for path in (self.root, self.sock):
                os.chown(path, self._owner.pw_uid, self._owner.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"
        )
        settings = dict(SETTINGS, unix_socket_directories=f"'{self.sock}'")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write("\n# tests/support/pg.py\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))

    def _start_on_free_port(self) -> None:
        """Tries ports the kernel says are free until the server binds one (another process may
        take it between our probe and the server's bind)."""
        for attempt in range(PORT_ATTEMPTS):
            self.port = _free_port()
            proc = self._pg_ctl("start", *self._start_args(), check=False)
            if proc.returncode == 0:
                return
            if "could not bind" not in self.log_tail() or attempt == PORT_ATTEMPTS - 1:
                raise PostgresError(
                    f"pg_ctl start failed with {proc.returncode}\n{proc.stdout}\n{proc.stderr}\n"
                    f"--- {self.log} ---\n{self.log_tail()}"
                )

    def _start_args(self) -> list[str]:
        return ["-w", "-t", str(START_TIMEOUT), "-l", str(self.log), "-o", f"-p {self.port}"]

    def start(self) -> None:
        """Starts the (stopped) server again, on the same port."""
        self._pg_ctl("start", *self._start_args())

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop``: ``fast`` disconnects every client and shuts down cleanly."""
        self._pg_ctl("stop", "-w", "-t", str(START_TIMEOUT), "-m", mode)

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is dropped; back on the same port."""
        self._pg_ctl("restart", "-m", "fast", *self._start_args())

    def is_running(self) -> bool:
        return self.data.exists() and self._pg_ctl("status", check=False).returncode == 0

    def destroy(self) -> None:
        """Stops the server (if running) and removes its directory."""
        try:
            if self.is_running():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- clients -------------------------------------------------------------------------------
    def connect(self, dbname: str = "postgres"):
        """A psycopg connection as the superuser, in autocommit mode (close it, or use ``with``)."""
        import psycopg

        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=dbname, autocommit=True, connect_timeout=10
        )

    def create_database(self, name: str) -> None:
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def backends(self, dbname: str, application_name: str | None = None) -> list[int]:
        """The pids of the client backends connected to database ``dbname`` (and with that
        ``application_name``, when given: a client's ``PGAPPNAME``)."""
        query = (
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = %s "
            "AND pid <> pg_backend_pid() AND (%s::text IS NULL OR application_name = %s::text) ORDER BY pid"
        )
        with self.connect() as conn:
            rows = conn.execute(query, [dbname, application_name, application_name]).fetchall()
        return [pid for (pid,) in rows]

    def terminate(self, pid: int, wait_ms: int = 5000) -> bool:
        """``pg_terminate_backend(pid)``: the server drops that client's connection; waits up to
        ``wait_ms`` for the backend to exit. True when it did."""
        with self.connect() as conn:
            (done,) = conn.execute("SELECT pg_terminate_backend(%s, %s)", [pid, wait_ms]).fetchone()
        return bool(done)

    def demo_env(self, dbname: str = DEMO_DB) -> dict[str, str]:
        """The environment that points the demo's settings at database ``dbname`` here.

        ``PSYCOPG_IMPL=python``: psycopg's C implementation cannot load in bolt's
        sub-interpreters; the pure-Python one (libpq through ctypes) can."""
        return {
            "DEMO_DATABASE": "postgresql",
            "DEMO_PG_HOST": self.host,
            "DEMO_PG_PORT": str(self.port),
            "DEMO_PG_NAME": dbname,
            "DEMO_PG_USER": self.user,
            "PSYCOPG_IMPL": "python",
        }


def demo_postgres():
    """Generator behind the session fixture: a started server whose ``DEMO_DB`` is migrated and
    seeded like the SQLite demo database; stopped and removed afterwards."""
    require_binaries()
    server = PostgresServer.create()
    try:
        server.create_database(DEMO_DB)
        run_demo_setup(server.demo_env(), timeout=180)
        yield server
    finally:
        server.destroy()
