#!/usr/bin/env python3
"""Load test: our `bolt` server against django-bolt 0.13 from PyPI, and against
the same Django project under gunicorn for the endpoints Django answers itself.
bolt and django-bolt serve the compared endpoints from one handler module,
loadtests/bench_api.py.

Standard library only; run with any python3 from the repository root or from
anywhere:

    python3 loadtests/run.py                 # full run: 3 reps x 5 s, interleaved
    python3 loadtests/run.py --quick         # CI smoke: 1 rep x 2 s
    python3 loadtests/run.py --server competitor-only
    python3 loadtests/run.py --endpoints static,admin --no-scaling   # bolt vs gunicorn only

Method (see loadtests/README.md and /work/shared/io-uring.md section 6):
  * the server (every thread of its process tree) is pinned to cpu0 and
    `wrk -t1` to cpu1, so each side owns one core;
  * per request we report requests/s, p99 latency (wrk, closed loop, at
    saturation) and server CPU microseconds = delta(utime+stime) of the whole
    server process tree across the wrk run / completed requests;
  * (server, endpoint) cases are run round-robin, rotating the server order
    each round, so slow VM drift hits both servers alike; medians are reported;
  * a run during which a server's log grew by more than LOG_MAX_LINES lines or
    LOG_MAX_BYTES bytes measured logging, not the server: it is refused (abort).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import fcntl
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEMO_DIR = REPO / "examples" / "demo"
COMP_DIR = HERE / "competitor"
COMP_VENV = HERE / ".venv-competitor"
GUNI_VENV = HERE / ".venv-gunicorn"
MEDIA_DIR = DEMO_DIR / "media"  # the demo's MEDIA_ROOT, served at /media/
BENCH_FILE = MEDIA_DIR / "bench-50k.js"  # written by run.py before the servers start, removed after
BENCH_FILE_SIZE = 50 * 1024
ADMIN_TITLE = b"<title>Log in | Django site admin</title>"
LOG_DIR = HERE / "logs"
BOLT_SETTINGS = "bolt_site.settings"  # loadtests/bolt_site: the demo's settings + BOLT_API (bench_api.py)
# The log-growth refusal: during a timed or warm-up run (from just before wrk starts to
# LOG_SETTLE_S after it ends) no server's stdout+stderr log may grow by more than
# LOG_MAX_LINES lines or LOG_MAX_BYTES bytes. Logging proportional to the requests writes
# at least one line per request (hundreds to tens of thousands per run); a few one-off
# lines (a warning, bolt moving a slow Django view to its pool) stay under the limit.
LOG_MAX_LINES = 10
LOG_MAX_BYTES = 4096
LOG_SETTLE_S = 0.3
LOG_PROBE_REQUESTS = 50  # requests of the quiet-log probe made before any timing
CHECK_REPEATS = 3  # each endpoint is requested this many times before timing; bodies must not change
CLK_TCK = os.sysconf("SC_CLK_TCK")
LOCK_PATH = "/tmp/bench.lock"

POST_BODY = {"name": "widget", "price": 9.99, "tags": ["red", "green", "blue"]}
# POST /orders: nested Structs with constraints (pattern, lengths, bounds), validated on decode.
ORDER_BODY = {
    "id": 1001,
    "customer": "Ada Lovelace",
    "email": "ada@example.com",
    "paid": True,
    "total": 123.45,
    "note": "leave at the door",
    "tags": ["gift", "express"],
    "ship_to": {"street": "12 Analytical Row", "city": "London", "zip": "N1 7AA", "country": "GB"},
    "lines": [{"sku": f"ABC-{i}", "qty": i, "price": 9.5 + i} for i in range(1, 6)],
}
# POST /signup: a django-bolt Serializer with two field validators (values already normalized).
SIGNUP_BODY = {"name": "Ada Lovelace", "email": "ada@example.com", "age": 36, "tags": ["math", "engines"]}
POSTED = {"post": POST_BODY, "order": ORDER_BODY, "serializer": SIGNUP_BODY}

# name -> (label, method, path used by wrk, wrk script, reference server bolt is compared with)
ENDPOINTS = {
    "hello": ("GET /hello", "GET", "/hello", "report.lua", "competitor"),
    "item": ("GET /items/{id}?q=", "GET", "/items/42?q=hello", "report.lua", "competitor"),
    "post": ("POST /items", "POST", "/items", "post_items.lua", "competitor"),
    "order": ("POST /orders (validated)", "POST", "/orders", "post_orders.lua", "competitor"),
    "serializer": ("POST /signup (Serializer + 2 validators)", "POST", "/signup", "post_signup.lua", "competitor"),
    "users": ("GET /users (sync ORM)", "GET", "/users", "report.lua", "competitor"),
    "users_async": ("GET /users/async (async ORM)", "GET", "/users/async", "report.lua", "competitor"),
    "big": ("GET /big", "GET", "/big", "report.lua", "competitor"),
    # hello behind Django's SecurityMiddleware + XFrameOptionsMiddleware (django_middleware=)
    "hello_mw": ("GET /mw/hello (2 Django middleware)", "GET", "/mw/hello", "report.lua", "competitor"),
    # A ModelViewSet's generated list action: 20 rows of Person through serializer_class.
    "viewset20": ("GET /vs/people (ModelViewSet list, 20 rows)", "GET", "/vs/people", "report.lua", "competitor"),
    "static": ("GET /media/bench-50k.js (50 KiB)", "GET", "/media/bench-50k.js", "report.lua", "gunicorn"),
    "admin": ("GET /admin/login/", "GET", "/admin/login/", "report.lua", "gunicorn"),
    # bolt only: compared with bolt's own unguarded GET /hello measured in the same run
    "jwt": ("GET /secure/hello-jwt (JWT)", "GET", "/secure/hello-jwt", "report.lua", "bolt"),
    "apikey": ("GET /keyed/hello-key (API key)", "GET", "/keyed/hello-key", "report.lua", "bolt"),
    # compression of a 50 KiB JSON document (bench_api.py's GET /catalog), each row with one
    # Accept-Encoding against servers started with one CompressionConfig (COMPRESSION below)
    "identity50k": ("GET /catalog identity (50 KiB JSON)", "GET", "/catalog", "report.lua", "competitor"),
    "gzip": ("GET /catalog gzip", "GET", "/catalog", "report.lua", "competitor"),
    "br": ("GET /catalog br", "GET", "/catalog", "report.lua", "competitor"),
    "zstd": ("GET /catalog zstd", "GET", "/catalog", "report.lua", "competitor"),
    "gzip1": ("GET /catalog gzip, bolt at level 1", "GET", "/catalog", "report.lua", "competitor"),
    "br3": ("GET /catalog br, bolt at quality 3", "GET", "/catalog", "report.lua", "competitor"),
    # the cost of hello ("hello"): bolt's GET /hello against the floor server (the same stack with
    # no Python, loadtests/floor/main.rs), with the access log on, and pipelined 16 deep
    "floor": ("GET /hello on the floor server", "GET", "/hello", "report.lua", "hello"),
    "hello_log": ("GET /hello, access log on (--log-level info)", "GET", "/hello", "report.lua", "hello"),
    "pipelined": ("GET /hello pipelined 16 deep", "GET", "/hello", "pipeline.lua", "hello"),
    "floor_pipelined": ("GET /hello pipelined 16 deep, floor server", "GET", "/hello", "pipeline.lua", "hello"),
}
REF_LABEL = {
    "competitor": "django-bolt",
    "gunicorn": "gunicorn",
    "bolt": "bolt",
    "bolt2": "bolt --cores 2",
    "floor": "floor",
    "bolt-log": "bolt --log-level info",
}
JSON_ENDPOINTS = {
    "hello",
    "hello_mw",
    "item",
    "post",
    "order",
    "serializer",
    "users",
    "users_async",
    "big",
    "jwt",
    "apikey",
    "viewset20",
    "floor",
    "hello_log",
    "pipelined",
    "floor_pipelined",
}
USERS_ENDPOINTS = {"users", "users_async", "viewset20"}
#: How many Person rows each of USERS_ENDPOINTS answers.
USERS_ROWS = {"users": 10, "users_async": 10, "viewset20": 20}
# Shown when one of these cells fails its checks: a defect known when this was written.
KNOWN_ISSUES = {
    ("bolt", "users_async"): "bolt's async ORM path (`async for` over a QuerySet in an async def "
    'handler) was known to fail after the first request ("Single thread '
    'executor already being used") until the fix in progress lands',
}
SECURITY_ENDPOINTS = ["jwt", "apikey"]
HELLO_BODY = {"message": "Hello, World!"}
JWT_TARGET = 1.3  # the issue's target: JWT-guarded hello <= 1.3x the server CPU of the unguarded hello
SCALING_ENDPOINTS = ["users", "big"]
# The cost-of-hello rows and the server instance that answers each (the others: `bolt`).
HELLO_COST_INSTANCE = {"floor": "floor", "hello_log": "bolt-log", "pipelined": "bolt", "floor_pipelined": "floor"}
FLOOR_TARGET = 1.6  # the issue's target: bolt's hello <= 1.6x the floor server's CPU per request
ACCESS_LOG_TARGET = 1.15  # the issue's target: the access log on costs <= 15% on hello
PIPELINE_DEPTH = 16  # pipeline.lua
PIPELINED = {"pipelined", "floor_pipelined"}
#: Which load generators a cell is measured with (`--tool`); oha cannot pipeline.
TOOLS = ("wrk", "oha")
OHA_LOCAL = HERE / ".tools" / "bin" / "oha"  # `cargo install oha --locked --root loadtests/.tools`

# The compression rows. Each server instance of these rows runs with one CompressionConfig,
# passed as BENCH_COMPRESSION (JSON of its arguments; both settings files build
# BOLT_COMPRESSION from it, loadtests/bench_compression.py). A profile's instances are
# `bolt-<profile>` and `competitor-<profile>`; the plain `bolt`/`competitor` servers of the other
# rows run with compression off.
COMPRESSION_PROFILES = {
    # CompressionConfig(): brotli, gzip fallback, each server's default levels. Serves br, gzip
    # (the fallback, the same encoder at gzip_level) and identity.
    "defaults": {},
    # zstd is only ever sent by a server whose backend is zstd (both negotiate the same way:
    # the backend if accepted, else gzip if accepted and gzip_fallback, else nothing).
    "zstd": {"backend": "zstd"},
    # bolt only: exactly what django-bolt 0.13 applies to buffered responses. Its
    # CompressionConfig levels reach only its streaming encoder; a buffered body goes through
    # actix-http's Encoder, which fixes gzip at flate2's Compression::fast() (level 1), brotli
    # at quality 3 with lgwin 22 and zstd at level 3. bolt's defaults are the same levels with
    # brotli's default lgwin 14, so gzip1 repeats the gzip row on another instance and br3
    # shows what the larger window costs.
    "same-as-django-bolt": {"backend": "brotli", "brotli_level": 3, "brotli_lgwin": 22, "gzip_level": 1},
}
# row -> (Accept-Encoding sent, bolt's profile, django-bolt's profile)
COMPRESSION = {
    "identity50k": ("identity", "defaults", "defaults"),
    "gzip": ("gzip", "defaults", "defaults"),
    "br": ("br", "defaults", "defaults"),
    "zstd": ("zstd", "zstd", "zstd"),
    "gzip1": ("gzip", "same-as-django-bolt", "defaults"),
    "br3": ("br", "same-as-django-bolt", "defaults"),
}
# The levels each side applies in each row (shown in the report); django-bolt's are its
# effective buffered levels (see "same-as-django-bolt" above), not its CompressionConfig's.
COMPRESSION_LEVELS = {
    "identity50k": ("none", "none"),
    "gzip": ("gzip 1", "gzip 1 (actix fast)"),
    "br": ("brotli 3, lgwin 14", "brotli 3, lgwin 22"),
    "zstd": ("zstd 3", "zstd 3"),
    "gzip1": ("gzip 1", "gzip 1 (actix fast)"),
    "br3": ("brotli 3, lgwin 22", "brotli 3, lgwin 22"),
}
COMPRESSION_TARGET = 0.8  # the issue's target: bolt's CPU per request <= 0.8x django-bolt's
CATALOG_ITEMS = 160  # bench_api.CATALOG_ITEMS
CATALOG_KEYS = {
    "id",
    "sku",
    "name",
    "category",
    "price",
    "currency",
    "in_stock",
    "stock",
    "rating",
    "reviews",
    "tags",
    "description",
    "updated_at",
}
# A compressed row whose wrk runs moved more than this share of the identity body per response
# was not compressed under load: the run is refused.
COMPRESSED_MAX_SHARE = 0.5
USER_KEYS = {"id", "name", "email", "age", "is_active"}
BIG_KEYS = {"id", "name", "price", "in_stock", "qty"}


class Abort(Exception):
    pass


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# /proc helpers
# --------------------------------------------------------------------------


def _read_stat(pid: int):
    """(ppid, utime+stime+cutime+cstime ticks) of one process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    rest = data[data.rindex(")") + 2 :].split()
    # rest[0]=state, rest[1]=ppid, rest[11]=utime, [12]=stime, [13]=cutime, [14]=cstime
    return int(rest[1]), int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _read_stat(int(name))
        if st is not None:
            children.setdefault(st[0], []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_ticks(root: int) -> int:
    """utime+stime (all threads) of root and all its descendants, plus reaped children."""
    total = 0
    for pid in process_tree(root):
        st = _read_stat(pid)
        if st is not None:
            total += st[1]
    return total


def tree_tids(root: int) -> list[int]:
    tids = []
    for pid in process_tree(root):
        try:
            tids.extend(int(t) for t in os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return tids


def pin_tree(root: int, cpus: set[int]) -> None:
    for tid in tree_tids(root):
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:
            pass


def tree_affinities(root: int) -> dict[str, str]:
    out = {}
    for tid in tree_tids(root):
        try:
            with open(f"/proc/{tid}/status") as f:
                for line in f:
                    if line.startswith("Cpus_allowed_list:"):
                        out[str(tid)] = line.split(":", 1)[1].strip()
        except OSError:
            pass
    return out


def system_busy_ticks() -> int:
    with open("/proc/stat") as f:
        parts = f.readline().split()
    v = [int(x) for x in parts[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return user + nice + system + irq + softirq + steal


def wait_idle(threshold: float, max_wait: float) -> float:
    """Block until the box is quiet (servers idle, no foreign load); return busy cores seen.

    Samples /proc/stat over 0.5 s windows. Gives up after max_wait seconds.
    """
    t_start = time.monotonic()
    last_note = 0.0
    while True:
        b0 = system_busy_ticks()
        time.sleep(0.5)
        cores = (system_busy_ticks() - b0) / CLK_TCK / 0.5
        waited = time.monotonic() - t_start
        if cores <= threshold or waited >= max_wait:
            if waited >= 5:
                log(f"[idle] waited {waited:.0f} s for a quiet machine ({cores:.2f} cores busy now)")
            return cores
        if waited - last_note >= 15:
            log(f"[idle] {cores:.2f} cores busy outside the benchmark; waiting (up to {max_wait:.0f} s)")
            last_note = waited


def children_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# --------------------------------------------------------------------------
# machine info
# --------------------------------------------------------------------------


def cmd_out(args, **kw) -> str:
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"<{e}>"


def machine_info(bolt_python: str | None) -> dict:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_v = cmd_out(["wrk", "-v"]).splitlines()[0] if shutil.which("wrk") else "missing"
    wrk_v = wrk_v.split(" Copyright")[0]
    comp_py = str(COMP_VENV / "bin" / "python")
    guni_py = str(GUNI_VENV / "bin" / "python")
    info = {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "runner_python": platform.python_version(),
        "competitor_python": cmd_out([comp_py, "-c", "import sys;print(sys.version.split()[0])"]),
        "competitor_versions": cmd_out(
            [
                comp_py,
                "-c",
                "import importlib.metadata as m;"
                "print(', '.join(f'{p} {m.version(p)}' for p in "
                "('django-bolt','Django','msgspec')))",
            ]
        ),
        "bolt_python": (
            cmd_out([bolt_python, "-c", "import sys;print(sys.version.split()[0])"])
            if bolt_python and os.path.exists(bolt_python)
            else None
        ),
        "bolt_versions": (
            cmd_out(
                [
                    bolt_python,
                    "-c",
                    "import importlib.metadata as m\n"
                    "out=[]\n"
                    "for p in ('Django',):\n"
                    "    try: out.append(f'{p} {m.version(p)}')\n"
                    "    except Exception: pass\n"
                    "print(', '.join(out))",
                ]
            )
            if bolt_python and os.path.exists(bolt_python)
            else None
        ),
        "gunicorn_python": (
            cmd_out([guni_py, "-c", "import sys;print(sys.version.split()[0])"]) if os.path.exists(guni_py) else None
        ),
        "gunicorn_versions": (
            cmd_out(
                [
                    guni_py,
                    "-c",
                    "import importlib.metadata as m;"
                    "print(', '.join(f'{p} {m.version(p)}' for p in "
                    "('gunicorn','Django','whitenoise')))",
                ]
            )
            if os.path.exists(guni_py)
            else None
        ),
        "wrk": wrk_v,
        "oha": cmd_out([oha_bin(), "--version"]) if oha_bin() else None,
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return info


# --------------------------------------------------------------------------
# setup
# --------------------------------------------------------------------------


def run_checked(args, cwd=None, env=None, what="command") -> str:
    log(f"  $ {' '.join(str(a) for a in args)}" + (f"   (cwd {cwd})" if cwd else ""))
    p = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise Abort(f"{what} failed (exit {p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def python_version(python: str) -> str | None:
    if not os.path.exists(python):
        return None
    v = cmd_out([python, "-c", "import sys;print(sys.version.split()[0])"])
    return v if re.fullmatch(r"\d+\.\d+\.\d+\S*", v) else None


def base_python(bolt_python: str | None) -> tuple[list[str], dict]:
    """(argv, env) of the interpreter new venvs are made with: the one bolt's venv is based on,
    so every server runs the same Python. Without bolt's venv: pyenv's 3.13.0, with
    PYENV_VERSION set, not inherited (the pyenv shim that started this script exports its own)."""
    if bolt_python and os.path.exists(bolt_python):
        exe = cmd_out(
            [bolt_python, "-c", "import sys; print(getattr(sys, '_base_executable', None) or sys.executable)"]
        )
        if exe and os.path.isfile(exe):
            return [exe], dict(os.environ)
    return ["python3"], dict(os.environ, PYENV_VERSION="3.13.0")


def venv_python_mismatch(venv_python: Path, bolt_python: str | None) -> str | None:
    """Why an existing venv must be recreated: its Python is not bolt's (None when fine)."""
    want = python_version(bolt_python) if bolt_python else None
    have = python_version(str(venv_python))
    if want and have and have != want:
        return f"it has Python {have}, bolt's venv {want}"
    return None


def setup_competitor(reinstall: bool, bolt_python: str | None) -> None:
    py = COMP_VENV / "bin" / "python"
    if reinstall and COMP_VENV.exists():
        shutil.rmtree(COMP_VENV)
    have = None
    if py.exists():
        why = venv_python_mismatch(py, bolt_python)
        if why:
            log(f"[setup] recreating loadtests/.venv-competitor: {why}")
        else:
            have = cmd_out([str(py), "-c", "import importlib.metadata as m;print(m.version('django-bolt'))"])
    if not (have and re.fullmatch(r"0\.13\.\d+", have)):
        argv, env = base_python(bolt_python)
        log(f"[setup] creating competitor venv loadtests/.venv-competitor with {' '.join(argv)}")
        if COMP_VENV.exists():
            shutil.rmtree(COMP_VENV)
        run_checked(argv + ["-m", "venv", str(COMP_VENV)], env=env, what="venv creation")
        pip = [str(py), "-m", "pip", "--disable-pip-version-check"]
        spec = "django-bolt==0.13.*"
        out = cmd_out(pip + ["index", "versions", "django-bolt"])
        m = re.search(r"Available versions:\s*(.*)", out)
        if m:
            v13 = [v.strip() for v in m.group(1).split(",") if re.fullmatch(r"0\.13\.\d+", v.strip())]
            if v13:
                newest = max(v13, key=lambda v: tuple(int(x) for x in v.split(".")))
                spec = f"django-bolt=={newest}"
        log(f"[setup] installing {spec}")
        run_checked(pip + ["install", "-q", spec], what="pip install")
        have = cmd_out([str(py), "-c", "import importlib.metadata as m;print(m.version('django-bolt'))"])
    log(f"[setup] competitor: django-bolt {have}")
    log("[setup] competitor DB: fresh SQLite file, migrate + seed 100 rows (ids 1..100)")
    db = COMP_DIR / "db.sqlite3"
    if db.exists():
        db.unlink()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="compsite.settings")
    env.pop("PYTHONPATH", None)  # it could put this project's django_bolt before django-bolt 0.13's
    env.pop("BENCH_COMPRESSION", None)
    run_checked([py, "manage.py", "migrate", "-v", "0"], cwd=COMP_DIR, env=env, what="competitor migrate")
    run_checked([py, "manage.py", "seed"], cwd=COMP_DIR, env=env, what="competitor seed")


def django_version_of(python: str) -> str | None:
    if not os.path.exists(python):
        return None
    v = cmd_out([python, "-m", "django", "--version"])
    return v if re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", v) else None


def setup_gunicorn(reinstall: bool, django_version: str | None, bolt_python: str | None) -> None:
    """loadtests/.venv-gunicorn: gunicorn + whitenoise + the Django that bolt's venv has."""
    py = GUNI_VENV / "bin" / "python"
    if reinstall and GUNI_VENV.exists():
        shutil.rmtree(GUNI_VENV)
    if py.exists():
        why = venv_python_mismatch(py, bolt_python)
        if why:
            log(f"[setup] recreating loadtests/.venv-gunicorn: {why}")
            shutil.rmtree(GUNI_VENV)

    def versions():
        out = cmd_out(
            [
                str(py),
                "-c",
                "import importlib.metadata as m;"
                "print(m.version('Django'), m.version('gunicorn'), m.version('whitenoise'))",
            ]
        )
        parts = out.split()
        return parts if len(parts) == 3 and all(re.fullmatch(r"\d[\w.]*", x) for x in parts) else None

    have = versions() if py.exists() else None
    if have and (django_version is None or have[0] == django_version):
        log(f"[setup] gunicorn venv: Django {have[0]}, gunicorn {have[1]}, whitenoise {have[2]}")
        return
    if not py.exists():
        argv, env = base_python(bolt_python)
        log(f"[setup] creating loadtests/.venv-gunicorn with {' '.join(argv)}")
        run_checked(argv + ["-m", "venv", str(GUNI_VENV)], env=env, what="venv creation")
    spec = f"Django=={django_version}" if django_version else "Django"
    log(f"[setup] installing {spec} gunicorn whitenoise into loadtests/.venv-gunicorn")
    run_checked(
        [str(py), "-m", "pip", "--disable-pip-version-check", "install", "-q", spec, "gunicorn", "whitenoise"],
        what="pip install (gunicorn venv)",
    )
    have = versions()
    if not have:
        raise Abort("loadtests/.venv-gunicorn: Django/gunicorn/whitenoise not importable after install")
    log(f"[setup] gunicorn venv: Django {have[0]}, gunicorn {have[1]}, whitenoise {have[2]}")


def bench_file_bytes(size: int = BENCH_FILE_SIZE) -> bytes:
    """Deterministic JavaScript-looking text of exactly `size` bytes (same bytes on every run)."""
    out = bytearray(b"/* bench-50k.js: deterministic test file written by loadtests/run.py */\n")
    x, i = 12345, 0
    while True:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        line = b'var v%05d = "%08x%08x";\n' % (i, x, x ^ 0x5A5A5A5A)
        if len(out) + len(line) > size - 8:
            break
        out += line
        i += 1
    pad = size - len(out) - 4  # a final comment "/*" + filler + "*/" and a newline
    out += b"/*" + b"." * (pad - 1) + b"*/\n"
    assert len(out) == size, len(out)
    return bytes(out)


def install_bench_file() -> None:
    """Write examples/demo/media/bench-50k.js (before bolt starts: it reads its mounts at start-up)."""
    want = bench_file_bytes()
    if BENCH_FILE.exists() and BENCH_FILE.read_bytes() != want:
        raise Abort(f"{BENCH_FILE} exists with other content; not overwriting it (remove it by hand)")
    MEDIA_DIR.mkdir(exist_ok=True)
    BENCH_FILE.write_bytes(want)
    log(f"[setup] wrote {BENCH_FILE.relative_to(REPO)} ({len(want)} bytes)")


def remove_bench_file() -> None:
    try:
        if BENCH_FILE.read_bytes() == bench_file_bytes():
            BENCH_FILE.unlink()
            log(f"[cleanup] removed {BENCH_FILE.relative_to(REPO)}")
    except OSError:
        pass


def demo_secret_key() -> str:
    """SECRET_KEY of examples/demo/demo/settings.py, read from the file (a string literal there)."""
    import ast

    path = DEMO_DIR / "demo" / "settings.py"
    tree = ast.parse(path.read_text(), str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SECRET_KEY" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                break
            if isinstance(value, str) and value:
                return value
            break
    raise Abort(f"{path}: no string literal SECRET_KEY = '...' found (needed to sign the JWT)")


class Security:
    """Credentials for the bolt-only `jwt` and `apikey` rows.

    The JWT (HS256, the demo's SECRET_KEY, claims {"sub": "1", "exp": now+3600}) is signed by
    django_bolt._native.jwt_encode in bolt's venv and re-minted when less than 10 minutes are
    left. The API key is created with `manage.py bolt_apikey create` and revoked by close().
    """

    def __init__(self, bolt_python: str, endpoints: list[str]):
        self.python = bolt_python
        self.endpoints = endpoints
        self.token: str | None = None
        self.token_exp = 0
        self.key: str | None = None
        self.key_prefix: str | None = None
        self.env = dict(os.environ)
        self.env.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

    def setup(self) -> None:
        if "jwt" in self.endpoints:
            self._mint()
        if "apikey" in self.endpoints:
            log("[setup] API key: manage.py bolt_apikey create --name loadtest")
            out = run_checked(
                [self.python, "manage.py", "bolt_apikey", "create", "--name", "loadtest"],
                cwd=DEMO_DIR,
                env=self.env,
                what="bolt_apikey create",
            )
            lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
            key = lines[-1] if lines else ""
            parts = key.split("_", 2)
            if len(parts) != 3 or not parts[1] or " " in key:
                raise Abort(f"bolt_apikey create printed no key (stdout {out[-300:]!r})")
            self.key, self.key_prefix = key, parts[1]
            log(f"[setup] API key with prefix {self.key_prefix} created (revoked at the end)")

    def _mint(self) -> None:
        exp = int(time.time()) + 3600
        claims = json.dumps({"sub": "1", "exp": exp}, separators=(",", ":"))
        code = (
            "import sys\nfrom django_bolt import _native\n"
            "print(_native.jwt_encode('HS256', sys.argv[1].encode(), sys.argv[2].encode()))"
        )
        p = subprocess.run([self.python, "-c", code, demo_secret_key(), claims], capture_output=True, text=True)
        tok = p.stdout.strip()
        if p.returncode != 0 or tok.count(".") != 2:
            raise Abort(
                f"minting the JWT with {self.python} failed (exit {p.returncode}): {p.stdout[-500:]}{p.stderr[-1500:]}"
            )
        self.token, self.token_exp = tok, exp
        log("[setup] JWT minted (HS256, sub=1, exp in 3600 s)")

    def headers(self, name: str) -> dict[str, str]:
        if name == "jwt":
            if self.token is None or self.token_exp - time.time() < 600:
                self._mint()
            return {"Authorization": f"Bearer {self.token}"}
        if name == "apikey":
            if self.key is None:
                raise Abort("no API key was created (internal error)")
            return {"X-API-Key": self.key}
        return {}

    def close(self) -> None:
        if self.key_prefix is None:
            return
        prefix, self.key, self.key_prefix = self.key_prefix, None, None
        p = subprocess.run(
            [self.python, "manage.py", "bolt_apikey", "revoke", prefix],
            cwd=DEMO_DIR,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if p.returncode == 0:
            log(f"[cleanup] revoked API key {prefix}")
        else:
            log(
                f"[cleanup] WARNING: could not revoke API key {prefix} (exit {p.returncode}): "
                f"{(p.stdout + p.stderr).strip()[-300:]}; revoke it by hand: cd examples/demo && "
                f"manage.py bolt_apikey revoke {prefix}"
            )


SECURITY: Security | None = None  # set in main() when jwt/apikey are measured


def auth_headers(name: str) -> dict[str, str]:
    return SECURITY.headers(name) if SECURITY is not None and name in SECURITY_ENDPOINTS else {}


def request_headers(name: str) -> dict[str, str]:
    """The headers wrk and the checks send for endpoint `name` (credentials, Accept-Encoding)."""
    h = auth_headers(name)
    if name in COMPRESSION:
        h = dict(h, **{"Accept-Encoding": COMPRESSION[name][0]})
    return h


def instance_key(role: str, name: str) -> str:
    """The server instance that answers endpoint `name` for `role` ("bolt", "competitor", ...)."""
    if name in COMPRESSION and role in ("bolt", "competitor"):
        return f"{role}-{COMPRESSION[name][1 if role == 'bolt' else 2]}"
    if name in HELLO_COST_INSTANCE and role == "bolt":
        return HELLO_COST_INSTANCE[name]
    return role


DECODER = {
    # br and zstd are not in the standard library: bolt's venv has brotli and zstandard
    # (requirements-dev.txt), so they are decoded by its Python (run.py stays stdlib-only)
    "br": "import sys, brotli; sys.stdout.buffer.write(brotli.decompress(sys.stdin.buffer.read()))",
    "zstd": "import sys, zstandard; sys.stdout.buffer.write("
    "zstandard.ZstdDecompressor().decompressobj().decompress(sys.stdin.buffer.read()))",
}
DECODER_PYTHON: str | None = None  # set in main(): bolt's venv Python


def decode_body(coding: str, raw: bytes) -> bytes:
    """`raw` decoded from Content-Encoding `coding` (raises Abort when it does not decode)."""
    if coding == "gzip":
        import gzip
        import zlib

        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise Abort(f"the gzip body does not decode: {e}") from None
    if coding not in DECODER:
        raise Abort(f"no decoder for content-encoding {coding!r}")
    p = subprocess.run([DECODER_PYTHON or sys.executable, "-c", DECODER[coding]], input=raw, capture_output=True)
    if p.returncode != 0:
        raise Abort(f"the {coding} body does not decode: {p.stderr.decode(errors='replace').strip()[-300:]}")
    return p.stdout


def raw_response(server: Server, path: str = "/hello") -> bytes:
    """One GET's response bytes as sent (head and body), the `date` value blanked."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while True:
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                m = re.search(rb"(?im)^content-length: *(\d+)\r$", data[: head_end + 2])
                if len(data) >= head_end + 4 + (int(m.group(1)) if m else 0):
                    break
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return re.sub(rb"(?im)^(date: ).*?\r$", rb"\1<date>\r", data)


def build_floor(bolt_python: str) -> str:
    """The floor server's binary: $FLOOR_BIN, else built here with
    `cargo build --release --example floor` (loadtests/floor/main.rs; incremental after the first)."""
    if os.environ.get("FLOOR_BIN"):
        return os.environ["FLOOR_BIN"]
    if not shutil.which("cargo"):
        raise Abort("the floor rows need cargo (or FLOOR_BIN=/path/to/floor)")
    env = dict(os.environ)
    env.setdefault("PYO3_PYTHON", bolt_python)  # the crate's own build needs a Python for pyo3
    log("[setup] building the floor server: cargo build --release --example floor")
    p = subprocess.run(
        ["cargo", "build", "--release", "--example", "floor", "--message-format", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    exe = None
    for line in p.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "floor":
            exe = msg.get("executable") or exe
    if p.returncode != 0 or not exe:
        raise Abort(f"cargo build --example floor failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return exe


def setup_demo(bolt_python: str) -> None:
    env = dict(os.environ, PYTHON=bolt_python)
    if Path(bolt_python).parent == GUNI_VENV / "bin":  # no django_bolt in that venv
        env["DEMO_NO_BOLT"] = "1"
    env.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    setup_sh = DEMO_DIR / "setup.sh"
    if setup_sh.exists():
        log("[setup] demo DB: examples/demo/setup.sh")
        run_checked(["bash", setup_sh], cwd=DEMO_DIR, env=env, what="examples/demo/setup.sh")
    else:
        log("[setup] demo DB: manage.py migrate + seed")
        run_checked([bolt_python, "manage.py", "migrate", "-v", "0"], cwd=DEMO_DIR, env=env, what="demo migrate")
        run_checked([bolt_python, "manage.py", "seed"], cwd=DEMO_DIR, env=env, what="demo seed")


# --------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(
        self,
        key: str,
        label: str,
        argv: list[str],
        cwd: Path,
        env: dict,
        pin: set[int] | None,
        port: int,
        ready_path: str = "/hello",
        role: str | None = None,
        profile: str | None = None,
    ):
        self.key, self.label, self.argv, self.cwd, self.env = key, label, argv, cwd, env
        self.pin, self.port, self.ready_path = pin, port, ready_path
        # role: which column its runs are reported in ("bolt", "competitor", ...; default: key).
        # profile: the COMPRESSION_PROFILES entry it runs with (None: compression off), for
        # the instances that serve only the compression rows.
        self.role, self.profile = role or key, profile
        self.proc: subprocess.Popen | None = None
        self.log_path = LOG_DIR / f"{key}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        LOG_DIR.mkdir(exist_ok=True)
        argv = self.argv
        if self.pin is not None:
            argv = ["taskset", "-c", ",".join(str(c) for c in sorted(self.pin))] + argv
        log(f"[start] {self.key}: {' '.join(argv)}   (cwd {self.cwd})")
        # append mode, so that truncate_log() can empty the file under the running server
        self.log_path.write_bytes(b"")
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            argv,
            cwd=self.cwd,
            env=self.env,
            stdout=self.logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise Abort(
                    f"{self.key} exited with code {self.proc.returncode} during startup; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base + self.ready_path, timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise Abort(
                    f"{self.key} did not answer GET {self.ready_path} within {timeout:.0f}s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.2)
        time.sleep(0.3)  # let late threads spawn before pinning
        if self.pin is not None:
            pin_tree(self.proc.pid, self.pin)
        log(f"[start] {self.key} ready on {self.base} (pid {self.proc.pid}, {len(tree_tids(self.proc.pid))} threads)")

    def truncate_log(self) -> None:
        """Empties the log (the server writes it in append mode, so its next line starts the file)."""
        os.truncate(self.log_path, 0)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure_alive(self) -> None:
        if not self.alive():
            code = self.proc.returncode if self.proc else None
            raise Abort(f"{self.key} died (exit code {code}); log {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "<no log>"

    def log_mark(self) -> int:
        """Current size in bytes of the server's log (its stdout and stderr, one file)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, mark: int) -> dict:
        """What the log grew by since `mark`: {'bytes', 'lines', 'tail'} (tail: its last lines).

        An unterminated last line counts as a line.
        """
        grown = self.log_mark() - mark
        if grown <= 0:
            return {"bytes": 0, "lines": 0, "tail": []}
        lines, tail = 0, b""
        with open(self.log_path, "rb") as f:
            f.seek(mark)
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                lines += chunk.count(b"\n")
                tail = (tail + chunk)[-8192:]
        if tail and not tail.endswith(b"\n"):
            lines += 1
        return {"bytes": grown, "lines": lines, "tail": tail.decode("utf-8", "replace").splitlines()[-15:]}

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(timeout=8)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)
        self.logf.close()


# --------------------------------------------------------------------------
# the log-growth refusal
# --------------------------------------------------------------------------


def log_marks(servers: list[Server]) -> dict[str, int]:
    return {s.key: s.log_mark() for s in servers}


def log_growth(servers: list[Server], marks: dict[str, int]) -> dict[str, dict]:
    return {s.key: s.log_since(marks[s.key]) for s in servers}


def refuse_log_growth(growth: dict[str, dict], what: str, requests: int, servers: list[Server]) -> None:
    """Abort when any server's log grew by more than LOG_MAX_LINES lines or LOG_MAX_BYTES bytes
    during `what` (a run of `requests` requests): such a run measures logging, not the server."""
    by_key = {s.key: s for s in servers}
    bad = [(k, g) for k, g in growth.items() if g["lines"] > LOG_MAX_LINES or g["bytes"] > LOG_MAX_BYTES]
    if not bad:
        return
    parts = []
    for k, g in bad:
        per_req = f", {g['lines'] / requests:.2f} lines per request" if requests else ""
        parts.append(
            f"{k}'s log ({by_key[k].log_path}) grew by {g['lines']} lines / {g['bytes']} bytes "
            f"during {what} ({requests} requests{per_req}); the limit is {LOG_MAX_LINES} lines and "
            f"{LOG_MAX_BYTES} bytes per run. Last lines it wrote:\n" + "\n".join("    " + ln for ln in g["tail"])
        )
    raise Abort(
        "refusing the measurement: a server's log grew with the request count, so the run would "
        "measure logging, not the server.\n"
        + "\n".join(parts)
        + "\nTurn per-request logging off: django-bolt 0.13: the `django.server` logger at WARNING in "
        "LOGGING (competitor/compsite/settings.py); bolt: `--log-level warning`; gunicorn: no "
        "access log."
    )


def probe_quiet_log(server: Server, servers: list[Server]) -> None:
    """Before any timing: LOG_PROBE_REQUESTS requests of the server's ready path (a 200) must not
    make any server's log grow past the limit (catches a per-request access log in --check-only)."""
    marks = log_marks(servers)
    for _ in range(LOG_PROBE_REQUESTS):
        status, _, raw = http(server, "GET", server.ready_path)
        if status != 200:
            raise Abort(
                f"{server.key} GET {server.ready_path}: status {status} during the quiet-log probe: {raw[:200]!r}"
            )
    time.sleep(LOG_SETTLE_S)
    refuse_log_growth(
        log_growth(servers, marks),
        f"the quiet-log probe of {server.key} (GET {server.ready_path})",
        LOG_PROBE_REQUESTS,
        servers,
    )


# --------------------------------------------------------------------------
# response checks
# --------------------------------------------------------------------------


def http(server: Server, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    req = urllib.request.Request(server.base + path, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def check_compressed(server: Server, name: str) -> dict:
    """A compression row: the response must carry the Content-Encoding asked for (none for
    identity) and decode to exactly the bytes the same server sends uncompressed, a list of
    CATALOG_ITEMS objects with CATALOG_KEYS. Returns check_endpoint's dict with '_raw' the
    decoded body, plus 'encoded_bytes', 'content_encoding' and 'encoded_sha256'."""
    import hashlib

    _, method, path, _, _ = ENDPOINTS[name]
    coding = COMPRESSION[name][0]
    where = f"{server.key} {method} {path} with Accept-Encoding: {coding}"
    status, headers, raw = http(server, method, path, None, request_headers(name))
    if status != 200:
        raise Abort(f"{where}: status {status}, body {raw[:300]!r}")
    h = {k.lower(): v for k, v in headers.items()}
    got = h.get("content-encoding", "").strip().lower() or "identity"
    if got != coding:
        raise Abort(
            f"{where}: Content-Encoding {got!r}, expected {coding!r}; the server did not compress "
            f"as configured (profile {server.profile!r}, BENCH_COMPRESSION="
            f"{json.dumps(COMPRESSION_PROFILES.get(server.profile or '', {}))}); refusing to measure it"
        )
    body = raw if coding == "identity" else decode_body(coding, raw)
    status, _, plain = http(server, method, path, None, {"Accept-Encoding": "identity"})
    if status != 200 or body != plain:
        raise Abort(
            f"{where}: the {coding} body decodes to {len(body)} bytes that are not the "
            f"{len(plain)}-byte uncompressed body (status {status}, first difference at byte "
            f"{first_difference(body, plain)}); refusing to measure it"
        )
    try:
        data = json.loads(body)
    except ValueError as e:
        raise Abort(f"{where}: body is not JSON ({e}): {body[:300]!r}") from e
    if not isinstance(data, list) or len(data) != CATALOG_ITEMS:
        raise Abort(f"{where}: expected a list of {CATALOG_ITEMS} objects; body starts {body[:300]!r}")
    for i, row in enumerate(data):
        if not isinstance(row, dict) or set(row) != CATALOG_KEYS:
            raise Abort(f"{where}: item {i} {row!r} does not have exactly the keys {sorted(CATALOG_KEYS)}")
    return {
        "bytes": len(body),
        "encoded_bytes": len(raw),
        "content_encoding": got,
        "encoded_sha256": hashlib.sha256(raw).hexdigest(),
        "vary": h.get("vary"),
        "content_type": h.get("content-type", ""),
        "sample": body[:120].decode("utf-8", "replace"),
        "_raw": body,
    }


def check_endpoint(server: Server, name: str) -> dict:
    """Return {'bytes': n, 'content_type': ..., '_raw': body}; raise Abort on a wrong body."""
    if name in COMPRESSION:
        return check_compressed(server, name)
    label, method, path, _, _ = ENDPOINTS[name]
    body = json.dumps(POSTED[name]).encode() if name in POSTED else None
    status, headers, raw = http(server, method, path, body, auth_headers(name))
    where = f"{server.key} {method} {path}" + (" (with credentials)" if name in SECURITY_ENDPOINTS else "")
    if status != 200:
        raise Abort(f"{where}: status {status}, body {raw[:300]!r}")
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if name == "static":
        want = bench_file_bytes()
        if raw != want:
            diff = next((i for i, (a, b) in enumerate(zip(raw, want)) if a != b), min(len(raw), len(want)))
            raise Abort(
                f"{where}: body is not the {len(want)}-byte bench file ({len(raw)} bytes, first "
                f"difference at byte {diff}); body starts {raw[:120]!r}"
            )
        return {"bytes": len(raw), "content_type": ctype, "sample": raw[:120].decode("utf-8", "replace"), "_raw": raw}
    if name == "admin":
        if ADMIN_TITLE not in raw:
            raise Abort(f"{where}: no {ADMIN_TITLE.decode()} in the body; body starts {raw[:300]!r}")
        return {"bytes": len(raw), "content_type": ctype, "sample": raw[:120].decode("utf-8", "replace"), "_raw": raw}
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise Abort(f"{where}: body is not JSON ({e}): {raw[:300]!r}") from e

    def bad(msg):
        raise Abort(f"{where}: {msg}; body starts {raw[:300]!r}")

    if name in ("hello", "hello_mw", "jwt", "apikey") or name in HELLO_COST_INSTANCE:
        if data != HELLO_BODY:
            bad('expected {"message":"Hello, World!"}')
        if name == "hello_mw" and {k.lower(): v for k, v in headers.items()}.get("x-frame-options") != "DENY":
            bad("expected X-Frame-Options: DENY from XFrameOptionsMiddleware")
    elif name == "item":
        if data != {"id": 42, "q": "hello"} or type(data["id"]) is not int:
            bad('expected {"id":42,"q":"hello"}')
    elif name in POSTED:
        if data != POSTED[name]:
            bad(f"expected the posted object back {POSTED[name]}")
    elif name in USERS_ENDPOINTS:
        if not isinstance(data, list) or len(data) != USERS_ROWS[name]:
            bad(
                f"expected a list of {USERS_ROWS[name]} rows, got {type(data).__name__} "
                f"of length {len(data) if hasattr(data, '__len__') else '?'}"
            )
        for row in data:
            if not isinstance(row, dict) or set(row) != USER_KEYS:
                bad(f"row {row!r} does not have exactly the keys {sorted(USER_KEYS)}")
            if not (
                type(row["id"]) is int
                and isinstance(row["name"], str)
                and isinstance(row["email"], str)
                and type(row["age"]) is int
                and type(row["is_active"]) is bool
            ):
                bad(f"row {row!r} has wrong value types")
    elif name == "big":
        if not isinstance(data, list) or len(data) != 1000:
            bad(
                f"expected a list of 1000 objects, got {type(data).__name__} "
                f"of length {len(data) if hasattr(data, '__len__') else '?'}"
            )
        for i, row in enumerate(data):
            if not isinstance(row, dict) or set(row) != BIG_KEYS:
                bad(f"item {i} {row!r} does not have exactly the keys {sorted(BIG_KEYS)}")
        r = data[999]
        if not (
            type(r["id"]) is int
            and isinstance(r["name"], str)
            and isinstance(r["price"], (int, float))
            and type(r["in_stock"]) is bool
            and type(r["qty"]) is int
        ):
            bad(f"item 999 {r!r} has wrong value types")
    out = {"bytes": len(raw), "content_type": ctype, "sample": raw[:120].decode("utf-8", "replace"), "_raw": raw}
    if name in USERS_ENDPOINTS:
        out["rows"] = data
    return out


def first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def failed_endpoint_hint(server_key: str, ep: str, endpoints: list[str]) -> str:
    """What to say under a failed check: a known defect, and how to measure the rest."""
    out = ""
    known = KNOWN_ISSUES.get(({"bolt2": "bolt"}.get(server_key, server_key), ep))
    if known:
        out += f"\nNote: {known}."
    if any(e != ep for e in endpoints):
        argv, excluded, it = [], [], iter(sys.argv[1:])
        for a in it:  # this command line, with `ep` added to its --exclude list
            if a == "--exclude":
                excluded += next(it, "").split(",")
            elif a.startswith("--exclude="):
                excluded += a.split("=", 1)[1].split(",")
            else:
                argv.append(a)
        excluded = [e for e in dict.fromkeys(excluded + [ep]) if e]
        out += "\nTo measure the other endpoints meanwhile: " + " ".join(
            shlex.quote(a) for a in ["python3", "loadtests/run.py", *argv, "--exclude", ",".join(excluded)]
        )
    return out


def check_security_errors(server: Server, endpoints: list[str]) -> list[str]:
    """Non-fatal: the guarded endpoints must refuse requests without (valid) credentials."""
    warnings = []
    probes = []
    if "jwt" in endpoints:
        probes += [
            ("jwt", {}, "no Authorization header"),
            ("jwt", {"Authorization": "Bearer not.a.jwt"}, "a malformed bearer token"),
        ]
    if "apikey" in endpoints:
        probes += [
            ("apikey", {}, "no X-API-Key header"),
            ("apikey", {"X-API-Key": "bolt_00000000_not-a-real-key"}, "an unknown key"),
        ]
    for name, hdrs, what in probes:
        path = ENDPOINTS[name][2]
        status, _, raw = http(server, "GET", path, None, hdrs)
        if status not in (401, 403):
            warnings.append(f"{server.key}: GET {path} with {what} gave {status} (expected 401/403): {raw[:120]!r}")
    return warnings


def check_errors(server: Server) -> list[str]:
    """Non-fatal checks of error paths; returns warnings."""
    warnings = []
    status, _, raw = http(server, "GET", "/no-such-route")
    if status != 404:
        warnings.append(f"{server.key}: GET /no-such-route gave {status} (expected 404): {raw[:120]!r}")
    status, _, raw = http(server, "GET", "/media/no-such-file.js") if server.key != "competitor" else (404, {}, b"")
    if status != 404:
        warnings.append(f"{server.key}: GET /media/no-such-file.js gave {status} (expected 404): {raw[:120]!r}")
    if server.key == "gunicorn":  # plain Django: no API routes to probe
        return warnings
    status, _, raw = http(server, "GET", "/items/notanint?q=x")
    if status not in (400, 404, 422):
        warnings.append(f"{server.key}: GET /items/notanint gave {status} (expected 4xx): {raw[:120]!r}")
    status, _, raw = http(server, "POST", "/items", b'{"name": 1}')
    if status not in (400, 422):
        warnings.append(f"{server.key}: POST /items with a bad body gave {status} (expected 400/422): {raw[:120]!r}")
    return warnings


# --------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------


def script_request(script: str) -> tuple[str | None, bytes | None, dict[str, str]]:
    """The method, body and headers a wrk script sets (``wrk.method``, ``wrk.body``,
    ``wrk.headers[...]``), so oha sends the same request bytes."""
    text = (HERE / script).read_text()
    method = re.search(r'^wrk\.method\s*=\s*"(\w+)"', text, re.M)
    body = re.search(r"^wrk\.body\s*=\s*'(.*)'\s*$", text, re.M)
    headers = dict(re.findall(r'^wrk\.headers\["([^"]+)"\]\s*=\s*"([^"]*)"', text, re.M))
    return (method and method.group(1), body and body.group(1).encode(), headers)


def oha_bin() -> str | None:
    """oha from loadtests/.tools (``cargo install oha --locked --root loadtests/.tools``), else on PATH."""
    if OHA_LOCAL.exists():
        return str(OHA_LOCAL)
    return shutil.which("oha")


def load_argv(tool: str, server: Server, name: str, duration: float, connections: int, threads: int) -> list[str]:
    """The load generator's command line for one run (without the taskset)."""
    _, _, path, script, _ = ENDPOINTS[name]
    if tool == "wrk":
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
        for k, v in request_headers(name).items():
            argv += ["-H", f"{k}: {v}"]
        return argv + ["-s", str(HERE / script), server.base + path]
    # oha: HTTP/1.1 keep-alive (its default), the same connections, JSON on stdout. Its worker
    # threads follow the CPUs it is pinned to, as wrk's -t does.
    method, body, headers = script_request(script)
    argv = [oha_bin() or "oha", "-z", f"{max(1, round(duration))}s", "-c", str(connections), "--no-tui"]
    argv += ["--output-format", "json", "--http-version", "1.1", "-t", "10s"]
    if method:
        argv += ["-m", method]
    if body is not None:
        argv += ["-d", body.decode()]
    for k, v in dict(headers, **request_headers(name)).items():
        argv += ["-H", f"{k}: {v}"]
    return argv + [server.base + path]


def parse_oha(out: str) -> dict:
    """oha's JSON summary in the shape report.lua prints for wrk (µs, counts)."""
    o = json.loads(out)
    summ = o["summary"]
    codes = {int(k): v for k, v in (o.get("statusCodeDistribution") or {}).items()}
    reqs = sum(codes.values())
    errors = o.get("errorDistribution") or {}
    # -z ends the run by cancelling what is in flight; those are not failures.
    errs = sum(v for k, v in errors.items() if "deadline" not in k.lower())
    lat = o.get("latencyPercentiles") or {}

    def us(v):
        return int((v or 0) * 1e6)

    return {
        "requests": reqs,
        "duration_us": int(summ["total"] * 1e6),
        "bytes": int((summ.get("sizePerRequest") or 0) * reqs),
        "errors": {
            "connect": errs,
            "read": 0,
            "write": 0,
            "status": sum(v for c, v in codes.items() if not 200 <= c < 300),
            "timeout": 0,
        },
        "lat_mean_us": us(summ.get("average")),
        "lat_p50_us": us(lat.get("p50")),
        "lat_p90_us": us(lat.get("p90")),
        "lat_p99_us": us(lat.get("p99")),
        "lat_max_us": us(summ.get("slowest")),
        "error_kinds": errors,
    }


def run_wrk(
    server: Server,
    name: str,
    duration: float,
    connections: int,
    threads: int,
    wrk_cpus: set[int] | None,
    watch: list[Server],
    tool: str = "wrk",
) -> dict:
    """One run of the load generator `tool` (wrk or oha). res['log'] is how much each server of
    `watch` logged meanwhile (checked by the caller with refuse_log_growth); for the server
    that logs on purpose (`bolt-log`), res['access_lines'] is how many lines it wrote."""
    _, _, path, script, _ = ENDPOINTS[name]
    server.ensure_alive()
    if server.pin is not None:
        pin_tree(server.proc.pid, server.pin)  # threads born since the last run
    argv = load_argv(tool, server, name, duration, connections, threads)
    if wrk_cpus is not None:
        argv = ["taskset", "-c", ",".join(str(c) for c in sorted(wrk_cpus))] + argv
    if server.key == "bolt-log":
        server.truncate_log()  # the access lines of earlier runs (tens of MB) are not kept
    own_mark = server.log_mark()
    marks = log_marks(watch)
    cpu0 = tree_cpu_ticks(server.proc.pid)
    busy0 = system_busy_ticks()
    ch0 = children_cpu_seconds()
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    wall = time.monotonic() - t0
    ch1 = children_cpu_seconds()
    busy1 = system_busy_ticks()
    cpu1 = tree_cpu_ticks(server.proc.pid)
    server.ensure_alive()
    time.sleep(LOG_SETTLE_S)  # lines still on their way (buffers, a logging thread) count for this run
    grown = log_growth(watch, marks)
    if tool == "wrk":
        m = re.search(r"^WRKJSON (\{.*\})$", p.stdout, re.M)
        if p.returncode != 0 or not m:
            raise Abort(f"wrk failed against {server.key} {path} (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")
        w = json.loads(m.group(1))
    else:
        try:
            w = parse_oha(p.stdout)
        except (ValueError, KeyError, TypeError) as e:
            raise Abort(
                f"oha failed against {server.key} {path} (exit {p.returncode}, {e}):\n{p.stdout[-2000:]}\n{p.stderr}"
            ) from None
    reqs = w["requests"]
    srv_s = (cpu1 - cpu0) / CLK_TCK
    wrk_s = ch1 - ch0
    busy_s = (busy1 - busy0) / CLK_TCK
    dur_s = w["duration_us"] / 1e6
    res = {
        "server": server.role,
        "instance": server.key,
        "endpoint": name,
        "requests": reqs,
        "rps": reqs / dur_s if dur_s else 0.0,
        "p50_ms": w["lat_p50_us"] / 1000,
        "p99_ms": w["lat_p99_us"] / 1000,
        "mean_ms": w["lat_mean_us"] / 1000,
        "max_ms": w["lat_max_us"] / 1000,
        "errors": w["errors"],
        "server_cpu_s": srv_s,
        "server_cores": srv_s / wall,
        "cpu_us_per_req": srv_s * 1e6 / reqs if reqs else float("nan"),
        "wrk_cores": wrk_s / wall,
        "foreign_cores": (busy_s - srv_s - wrk_s) / wall,
        "wall_s": wall,
        "bytes_per_resp": w["bytes"] / reqs if reqs else 0,
        "log": grown,
        "tool": tool,
    }
    if server.key == "bolt-log":
        res["access_lines"] = server.log_since(own_mark)["lines"]
    if w.get("error_kinds"):
        res["error_kinds"] = w["error_kinds"]
    return res


def bad_run(res: dict, checks: dict | None = None) -> str | None:
    e = res["errors"]
    if res["requests"] == 0:
        return "no request completed"
    c = (checks or {}).get(f"{res.get('instance', res['server'])}:{res['endpoint']}")
    if res["endpoint"] in COMPRESSION and COMPRESSION[res["endpoint"]][0] != "identity" and c:
        # wrk's bytes include the headers; a compressed 50 KiB body is 1/4 of it or less
        if res["bytes_per_resp"] > COMPRESSED_MAX_SHARE * c["bytes"]:
            return (
                f"{res['bytes_per_resp']:.0f} bytes per response for a {c['bytes']}-byte body: the "
                f"responses were not {COMPRESSION[res['endpoint']][0]}-compressed under load"
            )
    if e["status"]:
        return f"{e['status']} non-2xx responses"
    if e["connect"] or e["read"] or e["write"] or e["timeout"]:
        return f"socket errors {e}" + (f" {res['error_kinds']}" if res.get("error_kinds") else "")
    if "access_lines" in res and res["access_lines"] < res["requests"]:
        # every answered request has its line, written within LOG_SETTLE_S (the batch interval is 50 ms)
        return f"{res['access_lines']} access log lines for {res['requests']} requests: lines were lost"
    return None


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def cpu_ratio(b: dict | None, c: dict | None) -> str:
    """bolt's CPU µs/req over the baseline's, formatted, or a dash when either is missing."""
    return f"{b['cpu_us_per_req'] / c['cpu_us_per_req']:.2f}" if b and c and c["cpu_us_per_req"] else "—"


def fmt_rps(v):
    return "—" if v is None else f"{v:,.0f}"


def fmt_ms(v):
    return "—" if v is None else (f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms")


def fmt_us(v):
    return "—" if v is None else (f"{v:.1f}" if v < 100 else f"{v:,.0f}")


def summarize(runs: list[dict], server: str, endpoint: str) -> dict | None:
    rs = [r for r in runs if r["server"] == server and r["endpoint"] == endpoint]
    if not rs:
        return None
    return {
        "n": len(rs),
        "rps": med([r["rps"] for r in rs]),
        "rps_min": min(r["rps"] for r in rs),
        "rps_max": max(r["rps"] for r in rs),
        "p99_ms": med([r["p99_ms"] for r in rs]),
        "cpu_us_per_req": med([r["cpu_us_per_req"] for r in rs]),
        "cpu_min": min(r["cpu_us_per_req"] for r in rs),
        "cpu_max": max(r["cpu_us_per_req"] for r in rs),
        "server_cores": med([r["server_cores"] for r in rs]),
        "wrk_cores": med([r["wrk_cores"] for r in rs]),
        "foreign_cores": med([r["foreign_cores"] for r in rs]),
        "bytes_per_resp": med([r["bytes_per_resp"] for r in rs]),
        "log_lines_max": max((r.get("log") or {}).get(server, {}).get("lines", 0) for r in rs),
    }


def render(meta: dict, runs: list[dict], endpoints: list[str], scaling: bool, tool: str = "wrk") -> str:
    m = meta["machine"]
    a = meta["args"]
    baseline_hello = a.get("baseline_hello", False)  # hello measured on bolt only, as the security baseline
    comp_eps = [
        ep
        for ep in endpoints
        if ENDPOINTS[ep][4] == "competitor" and not (ep == "hello" and baseline_hello) and ep not in COMPRESSION
    ]
    compr_eps = [ep for ep in endpoints if ep in COMPRESSION]
    guni_eps = [ep for ep in endpoints if ENDPOINTS[ep][4] == "gunicorn"]
    sec_eps = [ep for ep in endpoints if ENDPOINTS[ep][4] == "bolt"]
    cost_eps = [ep for ep in endpoints if ENDPOINTS[ep][4] == "hello" and (tool == "wrk" or ep not in PIPELINED)]
    refs = (["django-bolt 0.13"] if comp_eps or compr_eps else []) + (["Django under gunicorn"] if guni_eps else [])
    L = []
    L.append(
        "# Load test: bolt"
        + (" vs " + " and ".join(refs) if refs else "")
        + (" (with the cost of security)" if sec_eps else "")
        + (f", load by {tool}" if len(a.get("tools") or ["wrk"]) > 1 or tool != "wrk" else "")
    )
    L.append("")
    L.append(f"- date: {m['date']}")
    L.append(f"- machine: nproc={m['nproc']}, CPU: {m['cpu_model']}, kernel {m['kernel']}")
    lr = meta.get("log_rule")  # absent in results.json files written before the shared bench_api.py
    L.append(
        f"- bolt: `{meta.get('bolt_bin')}` (Python {m.get('bolt_python')}"
        + (f", {m['bolt_versions']}" if m.get("bolt_versions") else "")
        + ")"
        + (
            ", `bolt --cores 1 --settings bolt_site.settings --log-level warning`, cwd examples/demo "
            "(the demo's settings, DB, media and admin; `BOLT_API` = the shared `loadtests/bench_api.py` "
            "+ the demo's JWT/API-key APIs)"
            if lr
            else ""
        )
    )
    if comp_eps and lr:
        L.append(
            f"- django-bolt: {m['competitor_versions']} (Python {m['competitor_python']}), "
            "`manage.py runbolt --processes 1 --workers 1 --no-admin`, cwd loadtests/competitor; "
            "the same handler module as bolt (`loadtests/bench_api.py`, with msgspec's Struct/Meta), "
            "`BoltAPI(enable_logging=False, compression=False)`, `django.server` logger at WARNING "
            "(no access line for a 2xx)"
        )
    elif comp_eps:
        L.append(
            f"- django-bolt: {m['competitor_versions']} (Python {m['competitor_python']}), "
            "`manage.py runbolt --processes 1 --no-admin`, handlers mirror examples/demo/demo/api.py "
            "(async; sync for /users), logging and compression off"
        )
    if lr:
        tot = meta.get("log_growth_total") or {}
        L.append(
            f"- logs: a run during which any server's log grew by more than {lr['max_lines']} lines or "
            f"{lr['max_bytes']} bytes is refused; growth over the whole measurement: "
            + ", ".join(f"{REF_LABEL.get(k, k)} +{g['lines']} lines" for k, g in tot.items())
        )
    g = meta.get("gunicorn") or {}
    if guni_eps:
        L.append(
            f"- gunicorn: {m.get('gunicorn_versions')} (Python {m.get('gunicorn_python')}), "
            f"`{g.get('command', '?')}`, cwd examples/demo, the demo's settings and URLconf "
            f"(`loadtests/gunicorn_site`, `DEMO_NO_BOLT=1`, `DEBUG = False`); `/media/` served by "
            + (
                "WhiteNoise (file index built at start-up)"
                if g.get("static") == "whitenoise"
                else "`django.views.static.serve`"
            )
        )
    load = (
        f"`taskset -c 1 wrk -t1 -c{a['connections']} -d{a['duration']:g}s`"
        if tool == "wrk"
        else f"`taskset -c 1 oha -z {a['duration']:g}s -c {a['connections']} --http-version 1.1` (keep-alive; "
        f"{m.get('oha', 'oha')})"
    )
    L.append(
        f"- load: {m['wrk'] if tool == 'wrk' else 'oha'}; {load}, "
        f"server process tree pinned to cpu0; {a['reps']} rep(s) per cell, interleaved round-robin "
        f"(server order rotated each round), {a['warmup']:g} s warm-up per cell; cells are medians"
    )
    L.append(
        "- p99 is wrk's closed-loop latency at saturation; CPU µs/req = Δ(utime+stime) of the whole "
        "server process tree during the run / completed requests"
    )
    L.append("")
    if comp_eps:
        L.append(
            "| endpoint | bolt req/s | django-bolt req/s | bolt p99 | django-bolt p99 | bolt CPU µs/req "
            "| django-bolt CPU µs/req | CPU ratio bolt/django-bolt | per round | median of the rounds |"
        )
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for ep in comp_eps:
            b = summarize(runs, "bolt", ep)
            c = summarize(runs, "competitor", ep)
            ratio = cpu_ratio(b, c)
            pr = per_round_ratios([r for r in runs if r["endpoint"] == ep], ep)
            L.append(
                f"| {ENDPOINTS[ep][0]} | {fmt_rps(b and b['rps'])} | {fmt_rps(c and c['rps'])} "
                f"| {fmt_ms(b and b['p99_ms'])} | {fmt_ms(c and c['p99_ms'])} "
                f"| {fmt_us(b and b['cpu_us_per_req'])} | {fmt_us(c and c['cpu_us_per_req'])} | {ratio} "
                f"| {', '.join(f'{x:.2f}' for x in pr) or '—'} "
                f"| {f'{statistics.median(pr):.2f}' if pr else '—'} |"
            )
        L.append("")
        L.append(
            "The ratio column divides the two medians; a round's ratio pairs the two servers' runs of that "
            "round, measured seconds apart, so the median of the rounds is the steadier figure when the VM's "
            "speed drifts between rounds."
        )
        L.append("")
    if compr_eps:
        L.extend(render_compression(meta, runs, compr_eps))
    if guni_eps:
        L.append("## bolt vs Django under gunicorn")
        L.append("")
        L.append(
            f"The same demo project: bolt answers `/media/` in Rust and passes `/admin/login/` to Django's "
            f"handler in its sub-interpreter; gunicorn runs `demo.wsgi` with "
            f"`--workers 1 --worker-class {g.get('worker_class', '?')}`"
            + (f" `--threads {g['threads']}`" if g.get("threads") else "")
            + (
                " (keep-alive, like bolt)"
                if g.get("worker_class") == "gthread"
                else " (closes the connection after every response, so wrk reconnects per request)"
            )
            + ". Same pinning and wrk as above."
        )
        L.append("")
        L.append(
            "| endpoint | bolt req/s | gunicorn req/s | req/s ratio bolt/gunicorn | bolt p99 | gunicorn p99 "
            "| bolt CPU µs/req | gunicorn CPU µs/req | CPU ratio bolt/gunicorn |"
        )
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for ep in guni_eps:
            b = summarize(runs, "bolt", ep)
            c = summarize(runs, "gunicorn", ep)
            rps_ratio = f"{b['rps'] / c['rps']:.2f}" if b and c and c["rps"] else "—"
            ratio = cpu_ratio(b, c)
            L.append(
                f"| {ENDPOINTS[ep][0]} | {fmt_rps(b and b['rps'])} | {fmt_rps(c and c['rps'])} "
                f"| {rps_ratio} | {fmt_ms(b and b['p99_ms'])} | {fmt_ms(c and c['p99_ms'])} "
                f"| {fmt_us(b and b['cpu_us_per_req'])} | {fmt_us(c and c['cpu_us_per_req'])} | {ratio} |"
            )
        L.append("")
    if sec_eps:
        L.append("## bolt: cost of security")
        L.append("")
        L.append(
            "bolt only, the same server and run as its unguarded `GET /hello` (same rounds, same "
            "pinning and wrk). `GET /secure/hello-jwt` is `/hello` behind `JWTAuthentication()` + "
            "`IsAuthenticated()` (HS256 token, `sub`/`exp` claims, checked in Rust, no DB), sent with "
            "`Authorization: Bearer <token>`; `GET /keyed/hello-key` is `/hello` behind "
            "`APIKeyAuthentication(database=True, cache_ttl=1.0)` + `IsAuthenticated()` (a persistent key from "
            "`manage.py bolt_apikey create`, cached per core for 1 s, so the DB lookup recurs "
            "about once a second), sent with `X-API-Key: <key>`. Ratio = median CPU µs/req of the "
            "row / median CPU µs/req of the unguarded `/hello`."
        )
        L.append("")
        L.append(
            f"Target (from the issue): a JWT-guarded hello costs ≤ {JWT_TARGET:g}× the server CPU of "
            "the unguarded hello."
        )
        L.append("")
        L.append("| endpoint | req/s | p99 | CPU µs/req | ratio to unguarded /hello (same run) |")
        L.append("|---|---:|---:|---:|---:|")
        base = summarize(runs, "bolt", "hello")
        if base:
            L.append(
                f"| GET /hello (unguarded) | {fmt_rps(base['rps'])} | {fmt_ms(base['p99_ms'])} "
                f"| {fmt_us(base['cpu_us_per_req'])} | 1.00 |"
            )
        per_round = []
        verdict = None
        for ep in sec_eps:
            b = summarize(runs, "bolt", ep)
            ratio = b["cpu_us_per_req"] / base["cpu_us_per_req"] if b and base and base["cpu_us_per_req"] else None
            L.append(
                f"| {ENDPOINTS[ep][0]} | {fmt_rps(b and b['rps'])} | {fmt_ms(b and b['p99_ms'])} "
                f"| {fmt_us(b and b['cpu_us_per_req'])} | {'—' if ratio is None else f'{ratio:.2f}'} |"
            )
            # the same ratio within each round (paired runs), to show how stable it is
            rr = []
            for rnd in sorted({r.get("round") for r in runs if r.get("round")}):
                h = [r for r in runs if r["server"] == "bolt" and r["endpoint"] == "hello" and r.get("round") == rnd]
                g = [r for r in runs if r["server"] == "bolt" and r["endpoint"] == ep and r.get("round") == rnd]
                if h and g and h[0]["cpu_us_per_req"]:
                    rr.append(g[0]["cpu_us_per_req"] / h[0]["cpu_us_per_req"])
            if rr:
                per_round.append(
                    f"{ENDPOINTS[ep][0]}: "
                    + ", ".join(f"{x:.2f}" for x in rr)
                    + f" (median {statistics.median(rr):.2f})"
                )
            if ep == "jwt" and ratio is not None:
                verdict = (
                    f"JWT target ≤ {JWT_TARGET:g}×: **{'met' if ratio <= JWT_TARGET else 'NOT met'}** "
                    f"({ratio:.2f}× on the medians"
                    + (f"; median of the per-round ratios {statistics.median(rr):.2f}×" if rr else "")
                    + ")"
                )
        L.append("")
        if per_round:
            L.append(
                "Per-round ratios (each guarded run / the unguarded `/hello` run of the same round): "
                + "; ".join(per_round)
                + "."
            )
            L.append("")
        if verdict:
            L.append(verdict)
            L.append("")
    if cost_eps:
        L.extend(render_hello_cost(runs, cost_eps))
    # spread / utilisation detail
    L.append(
        "<details><summary>spread and utilisation (req/s min–max, server/wrk/foreign cores, "
        "response bytes, server log lines written per run)</summary>"
    )
    L.append("")
    L.append(
        "| server | endpoint | req/s min–max | CPU µs/req min–max | server cores | wrk cores "
        "| foreign cores | bytes/resp | log lines/run (max) |"
    )
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for ep in endpoints:
        srvs = [HELLO_COST_INSTANCE[ep]] if ep in HELLO_COST_INSTANCE else ["bolt", ENDPOINTS[ep][4]]
        for srv in dict.fromkeys(srvs):
            s = summarize(runs, srv, ep)
            if not s:
                continue
            L.append(
                f"| {REF_LABEL.get(srv, srv)} | {ENDPOINTS[ep][0]} "
                f"| {s['rps_min']:,.0f}–{s['rps_max']:,.0f} | {s['cpu_min']:.1f}–{s['cpu_max']:.1f} "
                f"| {s['server_cores']:.2f} | {s['wrk_cores']:.2f} | {s['foreign_cores']:.2f} "
                f"| {s['bytes_per_resp']:.0f} | {s['log_lines_max']} |"
            )
    L.append("")
    L.append("</details>")
    if scaling:
        L.append("")
        L.append("## Scaling: bolt `--cores 2` vs `--cores 1`")
        L.append("")
        L.append(
            f"`--cores 1`: the split runs above (server on cpu0, `wrk -t1` on cpu1). `--cores 2`: server "
            f"unpinned on both cores, `wrk -t2 -c{a['connections']}` unpinned, in the same rounds. "
            "**In the `--cores 2` runs wrk shares the two cores with the server** (its share is in the "
            "`wrk cores` column), so this checks that the second core adds throughput on this box; it "
            "does not predict scaling on a bigger machine."
        )
        L.append("")
        L.append(
            "| endpoint | cores 1 req/s | cores 2 req/s | ratio 2/1 | cores 1 p99 | cores 2 p99 "
            "| cores 1 CPU µs/req | cores 2 CPU µs/req | cores 2: server / wrk cores |"
        )
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for ep in SCALING_ENDPOINTS:
            if ep not in endpoints:
                continue
            one = summarize(runs, "bolt", ep)
            two = summarize(runs, "bolt2", ep)
            ratio = f"{two['rps'] / one['rps']:.2f}" if one and two and one["rps"] else "—"
            cores = f"{two['server_cores']:.2f} / {two['wrk_cores']:.2f}" if two else "—"
            L.append(
                f"| {ENDPOINTS[ep][0]} | {fmt_rps(one and one['rps'])} | {fmt_rps(two and two['rps'])} "
                f"| {ratio} | {fmt_ms(one and one['p99_ms'])} | {fmt_ms(two and two['p99_ms'])} "
                f"| {fmt_us(one and one['cpu_us_per_req'])} | {fmt_us(two and two['cpu_us_per_req'])} "
                f"| {cores} |"
            )
    if meta.get("warnings"):
        L.append("")
        L.append("Warnings:")
        L.append("")
        for w in meta["warnings"]:
            L.append(f"- {w}")
    L.append("")
    return "\n".join(L)


def paired_ratios(runs: list[dict], num: tuple[str, str], den: tuple[str, str]) -> list[float]:
    """CPU µs/req of the (server, endpoint) `num` over `den`, round by round."""
    out = []
    for rnd in sorted({r.get("round") for r in runs if r.get("round")}):
        a = [r for r in runs if (r["server"], r["endpoint"]) == num and r.get("round") == rnd]
        b = [r for r in runs if (r["server"], r["endpoint"]) == den and r.get("round") == rnd]
        if a and b and b[0]["cpu_us_per_req"]:
            out.append(a[0]["cpu_us_per_req"] / b[0]["cpu_us_per_req"])
    return out


def render_hello_cost(runs: list[dict], cost_eps: list[str]) -> list[str]:
    """The cost-of-hello table: bolt's GET /hello against the floor server, with the access log
    on, and pipelined, each ratio against its baseline measured in the same rounds."""
    L = ["## bolt: the cost of hello", ""]
    L.append(
        "The floor server (`loadtests/floor/main.rs`, built by `run.py`) is bolt's stack with no Python: "
        "monoio on io_uring, httparse, sonic-rs, mimalloc, one thread pinned to cpu0, answering "
        "`GET /hello` with the bytes bolt sends (checked before timing, the date aside). "
        "`--log-level info` is the same bolt with its access log on (bolt's default stderr handler, "
        "written to the server's log file; every request's line is counted as it arrives). The "
        f"pipelined rows send {PIPELINE_DEPTH} requests per write on each connection (`pipeline.lua`; "
        "wrk's latency is then per batch). Ratio = median CPU µs/req of the row / of its baseline; "
        "the per-round ratios pair the runs of each round."
    )
    L.append("")
    L.append("| row | req/s | p99 | CPU µs/req | baseline | ratio | per round | target |")
    L.append("|---|---:|---:|---:|---|---:|---|---|")
    rows = [
        # (label, (server, endpoint), baseline label, (server, endpoint) of the baseline, target)
        ("floor `GET /hello`", ("floor", "floor"), None, None, None),
        ("bolt `GET /hello`", ("bolt", "hello"), "floor", ("floor", "floor"), FLOOR_TARGET),
        (
            "bolt `GET /hello`, access log on",
            ("bolt-log", "hello_log"),
            "bolt /hello",
            ("bolt", "hello"),
            ACCESS_LOG_TARGET,
        ),
        (f"floor `GET /hello` ×{PIPELINE_DEPTH} pipelined", ("floor", "floor_pipelined"), None, None, None),
        (
            f"bolt `GET /hello` ×{PIPELINE_DEPTH} pipelined",
            ("bolt", "pipelined"),
            "floor pipelined",
            ("floor", "floor_pipelined"),
            None,
        ),
    ]
    verdicts = []
    for label, (srv, ep), base_label, base, target in rows:
        if ep != "hello" and ep not in cost_eps:
            continue
        if base is not None and base[1] not in cost_eps and base[1] != "hello":
            continue
        r = summarize(runs, srv, ep)
        if r is None:
            continue
        b = summarize(runs, *base) if base else None
        ratio = r["cpu_us_per_req"] / b["cpu_us_per_req"] if b and b["cpu_us_per_req"] else None
        pr = paired_ratios(runs, (srv, ep), base) if base else []
        tgt = "—"
        if target is not None and ratio is not None:
            ok = ratio <= target
            tgt = f"≤ {target:g}×: **{'met' if ok else 'NOT met'}**"
            verdicts.append(
                f"{label} / {base_label}: {ratio:.2f}× (target ≤ {target:g}×, {'met' if ok else 'NOT met'})"
            )
        L.append(
            f"| {label} | {fmt_rps(r['rps'])} | {fmt_ms(r['p99_ms'])} | {fmt_us(r['cpu_us_per_req'])} "
            f"| {base_label or '—'} | {'—' if ratio is None else f'{ratio:.2f}'} "
            f"| {', '.join(f'{x:.2f}' for x in pr) or '—'} | {tgt} |"
        )
    L.append("")
    if verdicts:
        L.append("Targets (from the issue): " + "; ".join(verdicts) + ".")
        L.append("")
    return L


def per_round_ratios(runs: list[dict], ep: str, base_ep: str | None = None) -> list[float]:
    """bolt's CPU µs/req over django-bolt's, round by round (the paired runs of each round);
    with base_ep, each side's cost above its own base_ep run of the same round instead."""
    out = []
    for rnd in sorted({r.get("round") for r in runs if r.get("round")}):

        def cpu(srv, e, rnd):
            got = [r for r in runs if r["server"] == srv and r["endpoint"] == e and r.get("round") == rnd]
            return got[0]["cpu_us_per_req"] if got else None

        b, c = cpu("bolt", ep, rnd), cpu("competitor", ep, rnd)
        if base_ep:
            bb, cb = cpu("bolt", base_ep, rnd), cpu("competitor", base_ep, rnd)
            b = b - bb if b is not None and bb is not None else None
            c = c - cb if c is not None and cb is not None else None
        if b is not None and c:
            out.append(b / c)
    return out


def render_compression(meta: dict, runs: list[dict], eps: list[str]) -> list[str]:
    """The compression section: CPU per request of GET /catalog per Accept-Encoding, bolt vs
    django-bolt, against the issue's target (ratio <= COMPRESSION_TARGET)."""
    checks = meta.get("checks") or {}

    def chk(role, ep):
        return checks.get(f"{instance_key(role, ep)}:{ep}") or {}

    plain = next((c["bytes"] for e in eps for r in ("bolt", "competitor") if (c := chk(r, e)).get("bytes")), None)
    L = ["## Compression: a 50 KiB JSON response", ""]
    L.append(
        f"`GET /catalog` returns {CATALOG_ITEMS} product objects"
        + (f" ({plain:,} bytes of JSON)" if plain else "")
        + " from `loadtests/bench_api.py` (its `compressed` API, the same handler on both servers), "
        "sent by wrk with one `Accept-Encoding` per row. Each server instance of these rows runs with "
        "`settings.BOLT_COMPRESSION = CompressionConfig(...)` (both projects' documented project-wide "
        "setting; `loadtests/bench_compression.py`): `CompressionConfig()` (brotli, gzip fallback, default "
        'levels) for identity/gzip/br, `CompressionConfig(backend="zstd")` for zstd, and, bolt only, '
        '`CompressionConfig(brotli_level=3, brotli_lgwin=22, gzip_level=1)` for the "same level" rows. '
        "**django-bolt 0.13's levels differ from its documented defaults** (brotli 5, gzip 6, zstd 3): its "
        "`CompressionConfig` levels reach only its streaming encoder; a buffered response goes through "
        "actix-http's `Encoder`, fixed at gzip level 1 (`Compression::fast()`), brotli quality 3 with "
        "lgwin 22 and zstd 3, whatever the config says. bolt's defaults are those levels (gzip 1, brotli 3 "
        "with lgwin 14, zstd 3), so gzip/br/zstd compare each server at its default config; `gzip1` is the "
        "same work as `gzip` on a second bolt instance and `br3` is bolt with django-bolt's lgwin 22. "
        "Before timing, every instance answered each "
        "row with the asked `Content-Encoding` and a body that decodes to the exact bytes it sends "
        "uncompressed (and bolt's equal django-bolt's); a run whose wrk traffic was not "
        f"compressed (more than {COMPRESSED_MAX_SHARE:g}× the plain body per response) is refused."
    )
    L.append("")
    L.append(
        f"Target (from the issue): bolt's CPU per request ≤ {COMPRESSION_TARGET:g}× django-bolt's, "
        "in the same run. Ratio = median bolt CPU µs/req / median django-bolt CPU µs/req; "
        "Δ = a row's CPU µs/req minus the same server's identity row (the cost of compressing)."
    )
    L.append("")
    L.append(
        "| row | bolt level | django-bolt level | bolt bytes | django-bolt bytes | bolt req/s | django-bolt req/s "
        "| bolt CPU µs/req (min–max) | django-bolt CPU µs/req (min–max) | ratio | per round | Δ bolt / Δ django-bolt |"
    )
    L.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    base = "identity50k" if "identity50k" in eps else None
    bi, ci = summarize(runs, "bolt", "identity50k"), summarize(runs, "competitor", "identity50k")
    verdicts = []
    for ep in eps:
        b, c = summarize(runs, "bolt", ep), summarize(runs, "competitor", ep)
        lv_b, lv_c = COMPRESSION_LEVELS[ep]
        cb, cc = chk("bolt", ep), chk("competitor", ep)
        rr = per_round_ratios(runs, ep)
        ratio = b["cpu_us_per_req"] / c["cpu_us_per_req"] if b and c and c["cpu_us_per_req"] else None
        delta = "—"
        if base and ep != base and b and c and bi and ci:
            db, dc = b["cpu_us_per_req"] - bi["cpu_us_per_req"], c["cpu_us_per_req"] - ci["cpu_us_per_req"]
            delta = f"{db:,.0f} / {dc:,.0f} = {db / dc:.2f}" if dc > 0 else f"{db:,.0f} / {dc:,.0f}"

        def nbytes(c):
            return f"{c['encoded_bytes']:,}" if c.get("encoded_bytes") else "—"

        def span(x):
            return f"{fmt_us(x['cpu_us_per_req'])} ({x['cpu_min']:,.0f}–{x['cpu_max']:,.0f})" if x else "—"

        L.append(
            f"| `{ep}`: Accept-Encoding `{COMPRESSION[ep][0]}` | {lv_b} | {lv_c} "
            f"| {nbytes(cb)} | {nbytes(cc)} "
            f"| {fmt_rps(b and b['rps'])} | {fmt_rps(c and c['rps'])} | {span(b)} | {span(c)} "
            f"| {'—' if ratio is None else f'{ratio:.2f}'} | {', '.join(f'{x:.2f}' for x in rr) or '—'} | {delta} |"
        )
        if ratio is not None and ep != "identity50k":
            ok = ratio <= COMPRESSION_TARGET
            verdicts.append(
                f"`{ep}` ({lv_b} vs {lv_c}): **{'met' if ok else 'NOT met'}** ({ratio:.2f}×"
                + (f", rounds {min(rr):.2f}–{max(rr):.2f}" if rr else "")
                + ")"
            )
        if cb.get("encoded_sha256") and cb.get("encoded_sha256") == cc.get("encoded_sha256") and ep != "identity50k":
            verdicts.append(f"`{ep}`: bolt's and django-bolt's compressed bodies are byte-identical")
    L.append("")
    if verdicts:
        L.append(
            f"Target ≤ {COMPRESSION_TARGET:g}× (judged on the ratio of medians; the rounds' range beside it): "
            + "; ".join(verdicts)
            + "."
        )
        L.append("")
    return L


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    ap.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    ap.add_argument("--reps", type=int, default=3, help="runs per (server, endpoint) (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up seconds per cell (default 1; 0 = none)")
    ap.add_argument(
        "--endpoints", default=",".join(ENDPOINTS), help=f"comma list out of {','.join(ENDPOINTS)} (default all)"
    )
    ap.add_argument(
        "--exclude", default="", help="comma list of endpoints to leave out of --endpoints (e.g. --exclude users_async)"
    )
    ap.add_argument("--quick", action="store_true", help="CI smoke: 1 rep, 2 s runs, 1 s warm-up")
    ap.add_argument(
        "--server",
        choices=["both", "competitor-only", "gunicorn-only", "bolt-only"],
        default="both",
        help="both (default): bolt and each endpoint's reference server (django-bolt 0.13 for "
        "hello/item/post/order/users/users_async/big, Django under gunicorn for static/admin)",
    )
    ap.add_argument(
        "--gunicorn-worker",
        choices=["gthread", "sync"],
        default="gthread",
        help="gunicorn worker class (default gthread: keep-alive like bolt; sync closes the "
        "connection after every response)",
    )
    ap.add_argument("--gunicorn-threads", type=int, default=4, help="threads of the one gthread worker (default 4)")
    ap.add_argument(
        "--gunicorn-static",
        choices=["whitenoise", "serve"],
        default="whitenoise",
        help="who answers /media/ under gunicorn: WhiteNoise (default) or django.views.static.serve",
    )
    ap.add_argument("--no-scaling", action="store_true", help="skip the bolt --cores 2 vs 1 rows")
    ap.add_argument(
        "--isolation-rows",
        action="store_true",
        help="compare bolt with bolt --isolation process (one worker process) in django-bolt's column, "
        "instead of django-bolt",
    )
    ap.add_argument("--no-setup", action="store_true", help="do not (re)seed the databases")
    ap.add_argument(
        "--reinstall-competitor", action="store_true", help="delete and recreate loadtests/.venv-competitor"
    )
    ap.add_argument("--reinstall-gunicorn", action="store_true", help="delete and recreate loadtests/.venv-gunicorn")
    ap.add_argument("--check-only", action="store_true", help="start servers, check bodies, stop")
    ap.add_argument(
        "--max-foreign",
        type=float,
        default=0.15,
        help="wait for a quiet box before each run, and redo a run (up to twice) if more "
        "than this many cores were busy outside server+wrk (default 0.15)",
    )
    ap.add_argument(
        "--max-wait",
        type=float,
        default=180.0,
        help="longest wait in seconds for a quiet box before a run (default 180)",
    )
    ap.add_argument(
        "--tool",
        choices=["wrk", "oha", "both"],
        default="wrk",
        help="load generator: wrk (default), oha (loadtests/.tools/bin/oha or on PATH; HTTP/1.1 "
        "keep-alive, its JSON output), or both (each cell measured with each, in the same rounds, "
        "reported in a table per tool); the pipelined rows are wrk only",
    )
    ap.add_argument(
        "--memory",
        type=int,
        nargs="?",
        const=30,
        metavar="SOAK_S",
        help="after the timed rounds, the memory rows (loadtests/memory.py): RSS of bolt --cores 2 and "
        "django-bolt --processes 2, idle and after SOAK_S seconds (default 30) of mixed load each",
    )
    ap.add_argument("--out", default=str(HERE / "results"), help="output prefix (.md and .json)")
    ap.add_argument("--render", metavar="JSON", help="only re-render the Markdown from a results.json")
    args = ap.parse_args()
    if args.render:
        data = json.loads(Path(args.render).read_text())
        meta, runs = data["meta"], data["runs"]
        eps = meta["args"]["endpoints"]
        tools = meta["args"].get("tools") or ["wrk"]
        md = "\n".join(
            render(
                meta, [r for r in runs if r.get("tool", "wrk") == t], eps, any(r["server"] == "bolt2" for r in runs), t
            )
            for t in tools
        )
        print(md)
        Path(args.out).with_suffix(".md").write_text(md)
        return 0
    if args.quick:
        args.reps, args.duration, args.warmup = 1, 2, 1
    endpoints = [e.strip() for e in args.endpoints.split(",") if e.strip()]
    excluded = [e.strip() for e in args.exclude.split(",") if e.strip()]
    for e in endpoints + excluded:
        if e not in ENDPOINTS:
            ap.error(f"unknown endpoint {e!r}; choose from {', '.join(ENDPOINTS)}")
    endpoints = [e for e in dict.fromkeys(endpoints) if e not in excluded]
    if not endpoints:
        ap.error("no endpoint left to measure")
    sec_eps = [e for e in endpoints if ENDPOINTS[e][4] == "bolt"]
    cost_eps = [e for e in endpoints if ENDPOINTS[e][4] == "hello"]
    if "floor_pipelined" in endpoints and "pipelined" not in endpoints:
        endpoints.append("pipelined")  # the pipelined floor row is the baseline of bolt's
    if "pipelined" in endpoints and "floor_pipelined" not in endpoints:
        endpoints.append("floor_pipelined")
    cost_eps = [e for e in endpoints if ENDPOINTS[e][4] == "hello"]
    baseline_hello = bool(sec_eps or cost_eps) and "hello" not in endpoints
    if baseline_hello:  # the security and cost rows need bolt's unguarded /hello of the same run
        endpoints.insert(0, "hello")
        log("[setup] adding bolt's GET /hello (bolt only) as the baseline of " + ",".join(sec_eps + cost_eps))
    tools = list(TOOLS) if args.tool == "both" else [args.tool]
    if "wrk" in tools and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    if "oha" in tools and not oha_bin():
        raise SystemExit("oha is not installed: cargo install oha --locked --root loadtests/.tools (or put it on PATH)")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs at least 2 CPUs (server on cpu0, wrk on cpu1)")

    comp_eps = [e for e in endpoints if ENDPOINTS[e][4] == "competitor" and not (e == "hello" and baseline_hello)]
    guni_eps = [e for e in endpoints if ENDPOINTS[e][4] == "gunicorn"]
    want_bolt = args.server in ("both", "bolt-only")
    want_comp = args.server in ("both", "competitor-only") and bool(comp_eps)
    comp_rows = [e for e in endpoints if e in COMPRESSION]  # served by their own instances
    plain_eps = [e for e in endpoints if e not in COMPRESSION]
    want_guni = args.server in ("both", "gunicorn-only") and bool(guni_eps)
    if not (want_bolt or want_comp or want_guni):
        ap.error(f"--server {args.server} has nothing to measure on --endpoints {','.join(endpoints)}")
    if (sec_eps or cost_eps) and not want_bolt:
        log(f"[note] {','.join(sec_eps + cost_eps)} are bolt-only rows; --server {args.server} skips them")
    if args.isolation_rows:
        REF_LABEL["competitor"] = "bolt --isolation process"
    want_floor = want_bolt and any(HELLO_COST_INSTANCE[e] == "floor" for e in cost_eps)
    want_bolt_log = want_bolt and "hello_log" in cost_eps
    bolt_bin = os.environ.get("BOLT_BIN", str(REPO / ".venv" / "bin" / "bolt"))
    bolt_python = str(Path(bolt_bin).parent / "python")
    if not os.path.exists(bolt_python):
        bolt_python = str(REPO / ".venv" / "bin" / "python")
    if want_bolt and not os.access(bolt_bin, os.X_OK):
        raise SystemExit(
            f"bolt binary not found or not executable: {bolt_bin} (set BOLT_BIN, or use --server competitor-only)"
        )
    scaling = want_bolt and not args.no_scaling and any(e in endpoints for e in SCALING_ENDPOINTS)
    global DECODER_PYTHON
    DECODER_PYTHON = bolt_python
    codings = sorted({COMPRESSION[e][0] for e in comp_rows} & set(DECODER))
    if codings:
        mods = {"br": "brotli", "zstd": "zstandard"}
        probe = subprocess.run(
            [bolt_python, "-c", "; ".join(f"import {mods[c]}" for c in codings)], capture_output=True, text=True
        )
        if probe.returncode != 0:
            raise SystemExit(
                f"the {','.join(codings)} rows are checked by decoding the bodies with {bolt_python}, which "
                f"cannot import {', '.join(mods[c] for c in codings)} (requirements-dev.txt): "
                f"{probe.stderr.strip().splitlines()[-1:]}"
            )

    guni_py = GUNI_VENV / "bin" / "python"
    guni_cmd = ["gunicorn", "gunicorn_site.wsgi:application", "--workers", "1", "--worker-class", args.gunicorn_worker]
    if args.gunicorn_worker == "gthread":
        guni_cmd += ["--threads", str(args.gunicorn_threads)]
    bench_file_wanted = "static" in endpoints and (want_bolt or want_guni)

    global SECURITY
    warnings: list[str] = []
    demo_db_env = {k: v for k, v in os.environ.items() if k.startswith(("DEMO_DATABASE", "DEMO_CONN_", "DEMO_PG_"))}
    if demo_db_env and want_bolt and want_comp:
        warnings.append(
            "bolt's demo database is configured by "
            + ", ".join(f"{k}={v}" for k, v in demo_db_env.items())
            + "; django-bolt always uses its own SQLite file with Django's defaults, so the "
            "ORM rows do not compare like with like"
        )
    servers: list[Server] = []
    runs: list[dict] = []  # the timed runs so far (kept in <out>.partial.json when a run aborts)
    security: Security | None = None
    lockf = open(LOCK_PATH, "a+")
    try:
        if not args.no_setup:
            if want_comp and not args.isolation_rows:
                setup_competitor(args.reinstall_competitor, bolt_python)
            if want_guni:
                setup_gunicorn(args.reinstall_gunicorn, django_version_of(bolt_python), bolt_python)
            if want_bolt or want_guni:
                setup_demo(bolt_python if want_bolt or not guni_py.exists() else str(guni_py))
        else:
            if want_comp and not args.isolation_rows and not (COMP_VENV / "bin" / "python").exists():
                raise Abort("competitor venv missing; run without --no-setup")
            if want_guni and not guni_py.exists():
                raise Abort("gunicorn venv missing; run without --no-setup")
        if bench_file_wanted:
            install_bench_file()  # before bolt starts: it reads its static/media mounts at start-up
        if want_bolt and sec_eps:
            security = SECURITY = Security(bolt_python, sec_eps)
            security.setup()  # after migrate (the API key table), before the servers start

        def bolt_server(
            key: str, cores: int, pin: set[int] | None, profile: str | None = None, log_level: str = "warning"
        ) -> Server:
            # the demo project (cwd examples/demo, its DB, media, admin and auth APIs) with the
            # compared endpoints from the shared loadtests/bench_api.py: see bolt_site/settings.py.
            # The caller's PYTHONPATH stays after loadtests/ (e.g. a worktree's pyext/ with
            # BOLT_BIN from another venv).
            env = dict(os.environ, DJANGO_SETTINGS_MODULE=BOLT_SETTINGS, PYTHONUNBUFFERED="1")
            env["PYTHONPATH"] = os.pathsep.join(d for d in (str(HERE), os.environ.get("PYTHONPATH")) if d)
            env.pop("BENCH_COMPRESSION", None)
            if profile is not None:
                env["BENCH_COMPRESSION"] = json.dumps(COMPRESSION_PROFILES[profile])
            p = free_port()
            argv = [bolt_bin, "--cores", str(cores), "--settings", BOLT_SETTINGS, "--host", "127.0.0.1"]
            argv += ["--port", str(p), "--log-level", log_level]
            # The slow-handler detector times wall clock: on a shared box, time the core spends
            # preempted counts as handler time and would move /users to the blocking pool (whose
            # bounded queue then answers wrk's 64 connections 503). bench_api.py's handlers are
            # all fast; keep them inline, as on a quiet machine.
            argv += ["--blocking-threshold-ms", "1000"]
            label = "bolt" if cores == 1 else f"bolt --cores {cores}"
            role = "bolt" if cores == 1 and log_level == "warning" else key
            return Server(key, label, argv, DEMO_DIR, env, pin, p, role=role, profile=profile)

        def competitor_server(key: str, profile: str | None = None) -> Server:
            if args.isolation_rows:
                # The same bolt and project with one worker process instead of a sub-interpreter
                # (pinned to core 0 as bolt is); CPU is summed over the supervisor's tree.
                srv = bolt_server(key, 1, {0}, profile)
                srv.argv += ["--isolation", "process"]
                srv.label, srv.role = "bolt --isolation process", "competitor"
                return srv
            # --processes = cores (1) and --workers 1 (one Actix thread), passed explicitly;
            # loadtests/ (bench_api.py) is appended to sys.path by competitor/manage.py. No
            # PYTHONPATH: it could put this project's django_bolt before django-bolt 0.13's.
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="compsite.settings", PYTHONUNBUFFERED="1")
            env.pop("PYTHONPATH", None)
            env.pop("BENCH_COMPRESSION", None)
            if profile is not None:
                env["BENCH_COMPRESSION"] = json.dumps(COMPRESSION_PROFILES[profile])
            p = free_port()
            argv = [str(COMP_VENV / "bin" / "python"), "manage.py", "runbolt", "--processes", "1", "--workers", "1"]
            argv += ["--host", "127.0.0.1", "--port", str(p), "--no-admin"]
            return Server(key, "django-bolt", argv, COMP_DIR, env, {0}, p, role="competitor", profile=profile)

        if want_bolt and plain_eps:
            servers.append(bolt_server("bolt", 1, {0}))
            if scaling:
                servers.append(bolt_server("bolt2", 2, None))
        if want_bolt_log:
            # the same bolt with its access log on: bolt's default stderr handler, into the log file
            servers.append(bolt_server("bolt-log", 1, {0}, log_level="info"))
        if want_floor:
            fp = free_port()
            floor_argv = [build_floor(bolt_python), "--port", str(fp), "--cores", "0"]
            servers.append(Server("floor", "floor", floor_argv, REPO, dict(os.environ), {0}, fp))
        if want_comp and any(e not in COMPRESSION for e in comp_eps):
            servers.append(competitor_server("competitor"))
        # the compression rows: one instance per CompressionConfig profile and side
        if want_bolt:
            for profile in dict.fromkeys(COMPRESSION[e][1] for e in comp_rows):
                servers.append(bolt_server(f"bolt-{profile}", 1, {0}, profile))
        if want_comp:
            for profile in dict.fromkeys(COMPRESSION[e][2] for e in comp_rows):
                servers.append(competitor_server(f"competitor-{profile}", profile))
        if want_guni:
            env = dict(
                os.environ,
                DJANGO_SETTINGS_MODULE="gunicorn_site.settings",
                DEMO_NO_BOLT="1",
                BENCH_STATIC=args.gunicorn_static,
                PYTHONPATH=str(HERE),
                PYTHONUNBUFFERED="1",
            )
            p = free_port()
            servers.append(
                Server(
                    "gunicorn",
                    "gunicorn",
                    [str(guni_py), "-m"] + guni_cmd + ["--bind", f"127.0.0.1:{p}", "--log-level", "warning"],
                    DEMO_DIR,
                    env,
                    {0},
                    p,
                    ready_path="/admin/login/",
                )
            )

        for s in servers:
            s.start()
            if s.pin is not None:
                aff = tree_affinities(s.proc.pid)
                off = {t: a for t, a in aff.items() if a != ",".join(str(c) for c in sorted(s.pin))}
                if off:
                    warnings.append(f"{s.key}: threads not pinned as asked: {off}")

        # ---- correctness gate -------------------------------------------------
        # Every endpoint of every server, CHECK_REPEATS times: each answer must be right, and
        # (except the admin page, whose CSRF token changes) the same bytes every time.
        checks: dict[str, dict] = {}
        bodies: dict[str, bytes] = {}
        by_key0 = {s.key: s for s in servers}

        def serves(s: Server, ep: str) -> bool:
            """Whether server `s` is measured on `ep` (so its answers are checked)."""
            if ep in COMPRESSION:  # only the compression instances (not bolt --cores 2, role "bolt2")
                return s.role in ("bolt", "competitor") and instance_key(s.role, ep) == s.key
            if s.profile is not None:  # a compression instance: only its rows
                return False
            if ep in HELLO_COST_INSTANCE:
                return HELLO_COST_INSTANCE[ep] == s.key
            if s.key in ("floor", "bolt-log"):  # only their cost-of-hello rows
                return False
            if s.key in ("competitor", "gunicorn"):
                return ENDPOINTS[ep][4] == s.key and not (ep == "hello" and baseline_hello)
            return True

        for s in servers:
            for ep in endpoints:
                if not serves(s, ep):
                    continue
                for i in range(CHECK_REPEATS):
                    try:
                        c = check_endpoint(s, ep)
                        raw = c.pop("_raw")
                        if i and ep != "admin" and raw != bodies[f"{s.key}:{ep}"]:
                            first = bodies[f"{s.key}:{ep}"]
                            raise Abort(
                                f"{s.key} {ENDPOINTS[ep][1]} {ENDPOINTS[ep][2]}: request {i + 1} gave "
                                f"other bytes than request 1 ({len(raw)} vs {len(first)} bytes, first "
                                f"difference at byte {first_difference(raw, first)}); body starts "
                                f"{raw[:200]!r}"
                            )
                    except Abort as e:
                        raise Abort(
                            f"{e}\n(check request {i + 1} of {CHECK_REPEATS}; server log tail:)\n"
                            f"{s.log_tail(15)}" + failed_endpoint_hint(s.key, ep, endpoints)
                        ) from None
                    checks[f"{s.key}:{ep}"] = c
                    bodies.setdefault(f"{s.key}:{ep}", raw)
                if (ep in JSON_ENDPOINTS or ep in COMPRESSION) and "application/json" not in checks[f"{s.key}:{ep}"][
                    "content_type"
                ]:
                    warnings.append(
                        f"{s.key} {ENDPOINTS[ep][0]}: content-type is {checks[f'{s.key}:{ep}']['content_type']!r}"
                    )
            if s.profile is None and s.key != "floor":  # the compression instances serve the same bench_api.py
                warnings.extend(check_errors(s))
            if s.key in ("bolt", "bolt2") and sec_eps:
                warnings.extend(check_security_errors(s, sec_eps))
        log(
            f"[check] all endpoint bodies OK ({CHECK_REPEATS} requests each): "
            + ", ".join(f"{k}={v['bytes']}B" for k, v in checks.items())
        )
        # bolt and django-bolt run the same handlers (bench_api.py): their bodies must be the same bytes
        for ep in endpoints:
            ref = ENDPOINTS[ep][4]
            # (the compression rows: the decoded bodies, from their own instances)
            ck = f"{instance_key('competitor', ep)}:{ep}"
            for bk in (instance_key("bolt", ep), "bolt2"):
                if ref == "competitor" and f"{bk}:{ep}" in bodies and ck in bodies:
                    b, c = bodies[f"{bk}:{ep}"], bodies[ck]
                    if b != c:
                        raise Abort(
                            f"{ENDPOINTS[ep][1]} {ENDPOINTS[ep][2]}: {bk} and django-bolt run the same "
                            f"handler (loadtests/bench_api.py) but send different bodies ({len(b)} vs "
                            f"{len(c)} bytes, first difference at byte {first_difference(b, c)}):\n"
                            f"  {bk}: {b[:200]!r}\n  django-bolt: {c[:200]!r}" + failed_endpoint_hint(bk, ep, endpoints)
                        )
            if ref == "gunicorn" and f"bolt:{ep}" in checks and f"gunicorn:{ep}" in checks:
                b, c = checks[f"bolt:{ep}"]["bytes"], checks[f"gunicorn:{ep}"]["bytes"]
                if abs(b - c) > max(16, 0.1 * c):
                    warnings.append(f"{ENDPOINTS[ep][0]}: body sizes differ (bolt {b} B, gunicorn {c} B)")
        same = [
            e
            for e in comp_eps
            if f"{instance_key('bolt', e)}:{e}" in bodies and f"{instance_key('competitor', e)}:{e}" in bodies
        ]
        if same:
            log("[check] bolt and django-bolt send byte-identical bodies on " + ",".join(same))
        for e in comp_rows:
            got = [
                f"{k} {c['content_encoding']} {c['encoded_bytes']} B"
                for k in (instance_key("bolt", e), instance_key("competitor", e))
                if (c := checks.get(f"{k}:{e}"))
            ]
            log(f"[check] {e}: " + ", ".join(got) + f" (decoded: the same {CATALOG_ITEMS}-object JSON)")
        if want_floor and "bolt" in {s.key for s in servers}:
            # the floor answers with bolt's bytes (the date aside), so the rows compare like with like
            fb, bb = raw_response(by_key0["floor"]), raw_response(by_key0["bolt"])
            if fb != bb:
                raise Abort(f"the floor server's GET /hello is not bolt's:\n  floor: {fb!r}\n  bolt:  {bb!r}")
            log(f"[check] the floor server sends bolt's bytes for GET /hello ({len(bb)} bytes, date aside)")
        # no server may log per request (the same rule as during the timed runs); bolt-log logs
        # on purpose: its lines are counted instead (every request's line must arrive)
        quiet = [s for s in servers if s.key != "bolt-log"]
        for s in quiet:
            probe_quiet_log(s, quiet)
        log(
            f"[check] logs quiet: {LOG_PROBE_REQUESTS} x GET of each server's ready path grew no log by more "
            f"than {LOG_MAX_LINES} lines / {LOG_MAX_BYTES} bytes"
        )
        for w in warnings:
            log(f"[warn] {w}")
        if args.check_only:
            return 0

        # ---- measurement ------------------------------------------------------
        try:
            fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"[lock] waiting for {LOCK_PATH} (another benchmark is running)")
            fcntl.flock(lockf, fcntl.LOCK_EX)

        by_key = {s.key: s for s in servers}
        bolt2 = by_key.get("bolt2")

        def cases_for(rnd: int):
            out = []
            for ep in endpoints:
                # bolt and this endpoint's reference server, the order rotated each round
                ref = ENDPOINTS[ep][4] if not (ep == "hello" and baseline_hello) else "bolt"
                keys = [instance_key(k, ep) for k in dict.fromkeys(("bolt", ref))]
                pair = [by_key[k] for k in keys if k in by_key]
                k = rnd % len(pair) if pair else 0
                for s in pair[k:] + pair[:k]:
                    out.append((s, ep, 1, {1}))
                if bolt2 is not None and ep in SCALING_ENDPOINTS:
                    out.append((bolt2, ep, 2, None))
            # each cell with each tool, one after the other (oha cannot pipeline)
            return [
                (s, ep, threads, cpus, tool)
                for s, ep, threads, cpus in out
                for tool in tools
                if not (tool == "oha" and ENDPOINTS[ep][3] == "pipeline.lua")
            ]

        wait_idle(args.max_foreign, args.max_wait)
        marks_total = log_marks(servers)  # the whole measurement's log growth goes into the report
        log(f"[warmup] {args.warmup} s per cell")
        for s, ep, threads, cpus, tool in cases_for(0) if args.warmup > 0 else []:
            if tool != tools[0]:
                continue  # one warm-up per cell
            r = run_wrk(s, ep, args.warmup, args.connections, threads, cpus, quiet, tool)
            why = bad_run(r, checks)
            if why == "no request completed":
                # a slow row (brotli on a loaded box) can finish nothing in a 1 s warm-up; the
                # timed runs still refuse a run without requests
                log(f"[warmup] {s.key} {ENDPOINTS[ep][0]}: no request completed in {args.warmup} s")
                why = None
            if why:
                raise Abort(
                    f"warm-up {s.key} {ENDPOINTS[ep][0]}: {why}\nserver log tail:\n{s.log_tail()}"
                    + failed_endpoint_hint(s.key, ep, endpoints)
                )
            refuse_log_growth(r["log"], f"the warm-up of {s.key} {ENDPOINTS[ep][0]}", r["requests"], quiet)

        for rnd in range(args.reps):
            for s, ep, threads, cpus, tool in cases_for(rnd):
                for attempt in range(3):
                    wait_idle(args.max_foreign, args.max_wait)
                    r = run_wrk(s, ep, args.duration, args.connections, threads, cpus, quiet, tool)
                    why = bad_run(r, checks)
                    if why:
                        raise Abort(
                            f"{s.key} {ENDPOINTS[ep][0]} round {rnd + 1}: {why}\n"
                            f"server log tail:\n{s.log_tail()}" + failed_endpoint_hint(s.key, ep, endpoints)
                        )
                    refuse_log_growth(r["log"], f"{s.key} {ENDPOINTS[ep][0]} round {rnd + 1}", r["requests"], quiet)
                    r["log"] = {k: {"bytes": g["bytes"], "lines": g["lines"]} for k, g in r["log"].items()}
                    if r["foreign_cores"] <= args.max_foreign or attempt == 2:
                        break
                    log(f"[redo] {s.key} {ep}: {r['foreign_cores']:.2f} foreign cores busy")
                if r["foreign_cores"] > args.max_foreign:
                    warnings.append(
                        f"round {rnd + 1} {s.key} {ENDPOINTS[ep][0]}: "
                        f"{r['foreign_cores']:.2f} foreign cores busy during the run"
                    )
                r["round"] = rnd + 1
                r["attempt"] = attempt + 1
                runs.append(r)
                log(
                    f"[run {rnd + 1}/{args.reps}] {tool} {s.key:10s} {ENDPOINTS[ep][0]:30s} "
                    f"{r['rps']:9,.0f} req/s  p99 {r['p99_ms']:7.2f} ms  "
                    f"{r['cpu_us_per_req']:8.1f} µs/req  srv {r['server_cores']:.2f}  "
                    f"wrk {r['wrk_cores']:.2f}  foreign {r['foreign_cores']:.2f}  "
                    + (
                        f"log +{r['log'][s.key]['lines']} lines"
                        if s.key in r["log"]
                        else f"access lines {r.get('access_lines')}"
                    )
                )
        fcntl.flock(lockf, fcntl.LOCK_UN)
        log_total = {k: {"bytes": g["bytes"], "lines": g["lines"]} for k, g in log_growth(servers, marks_total).items()}

        for s in servers:  # late crash check
            s.ensure_alive()

        meta = {
            "machine": machine_info(bolt_python if want_bolt else None),
            "args": {
                "duration": args.duration,
                "connections": args.connections,
                "reps": args.reps,
                "warmup": args.warmup,
                "endpoints": endpoints,
                "server": args.server,
                "quick": args.quick,
                "baseline_hello": baseline_hello,
                "tools": tools,
            },
            "bolt_bin": bolt_bin if want_bolt else None,
            "servers": {
                s.key: {"argv": s.argv, "cwd": str(s.cwd), "pinned": sorted(s.pin) if s.pin else None} for s in servers
            },
            "checks": checks,
            "log_rule": {"max_lines": LOG_MAX_LINES, "max_bytes": LOG_MAX_BYTES, "settle_s": LOG_SETTLE_S},
            "log_growth_total": log_total,
            "warnings": warnings,
        }
        if want_guni:
            meta["gunicorn"] = {
                "command": " ".join(guni_cmd + ["--bind", "127.0.0.1:P"]),
                "worker_class": args.gunicorn_worker,
                "threads": args.gunicorn_threads if args.gunicorn_worker == "gthread" else None,
                "static": args.gunicorn_static,
            }
        md = "\n".join(
            render(meta, [r for r in runs if r.get("tool", "wrk") == tool], endpoints, scaling, tool) for tool in tools
        )
        memory = None
        if args.memory and want_bolt and (COMP_VENV / "bin" / "python").exists():
            import memory as memory_rows  # loadtests/memory.py, beside this file

            for s in servers:  # the memory servers get the box to themselves
                s.stop()
            log(f"[memory] bolt --cores 2 vs django-bolt --processes 2, {args.memory} s soak each")
            try:
                memory = memory_rows.measure(bolt_bin, args.memory)
            except memory_rows.run.Abort as e:  # the same class, imported once more as `run`
                raise Abort(f"memory rows: {e}") from None
            md += "\n".join(memory_rows.render(memory)) + "\n"
            meta["memory"] = memory
        elif args.memory:
            log("[memory] skipped: needs bolt and loadtests/.venv-competitor")
        print(md)
        out = Path(args.out)
        out.with_suffix(".md").write_text(md)
        summary = {
            (f"{s}:{ep}" if tool == "wrk" else f"{tool}:{s}:{ep}"): summarize(tr, s, ep)
            for tool in tools
            for tr in [[r for r in runs if r["tool"] == tool]]
            for s in ("bolt", "bolt2", "competitor", "gunicorn", "floor", "bolt-log")
            for ep in endpoints
            if summarize(tr, s, ep)
        }
        out.with_suffix(".json").write_text(json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=2))
        log(f"[done] wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
        return 0
    except Abort as e:
        log(f"\nABORT: {e}")
        if runs:  # e.g. a server stopped by someone else after rounds of good runs
            part = Path(args.out).with_suffix(".partial.json")
            part.write_text(json.dumps({"aborted": str(e), "runs": runs}, indent=2))
            log(f"[abort] the {len(runs)} runs measured so far are in {part}")
        return 2
    except KeyboardInterrupt as e:
        log(f"\ninterrupted ({e}); stopping the servers")
        return 130
    finally:
        for s in servers:
            s.stop()
        if security is not None:
            security.close()
            SECURITY = None
        if bench_file_wanted:
            remove_bench_file()
        lockf.close()


if __name__ == "__main__":
    sys.exit(main())
