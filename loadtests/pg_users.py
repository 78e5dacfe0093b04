#!/usr/bin/env python3
"""GET /users (10 rows, the sync ORM) on PostgreSQL: bolt in both isolation modes against
django-bolt 0.13 in the same run (issue 14). Run with bolt's venv Python (it needs psycopg, for
the throwaway server):

    .venv/bin/python loadtests/pg_users.py                  # 3 reps x 5 s, interleaved
    .venv/bin/python loadtests/pg_users.py --reps 1 --duration 2

Both servers read one PostgreSQL that tests/support/pg.py starts (initdb/pg_ctl), migrated and
seeded by the demo's setup.sh: bolt (``--cores 1``, loadtests/bolt_site, psycopg's pure-Python
mode inside its sub-interpreter), bolt ``--isolation process --cores 1`` with psycopg's C build
(``psycopg-c``, compiled once into loadtests/.psycopg-c against Debian's libpq-dev: the
``psycopg[binary]`` wheels are not reachable from every package mirror, and the C build is
what psycopg documents for production) and django-bolt 0.13 (``runbolt --processes 1 --workers 1``,
loadtests/competitor with ``BENCH_PG_*`` and the same C build of psycopg), each with ``CONN_MAX_AGE = 600``. The method is loadtests/run.py's (its ``Server`` and
``run_wrk``): the server pinned to cpu0, ``wrk -t1`` to cpu1, runs interleaved, medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import run  # noqa: E402 - loadtests/run.py
from support.pg import DEMO_DB, PostgresServer  # noqa: E402
from support.projects import run_demo_setup  # noqa: E402

ENDPOINT = "users"
PSYCOPG_C = HERE / ".psycopg-c"


def ensure_psycopg_c() -> Path | None:
    """psycopg's C implementation for the process-isolation row, built once (None: cannot)."""
    import psycopg

    if not (PSYCOPG_C / "psycopg_c").is_dir():
        run.log(f"[setup] building psycopg-c=={psycopg.__version__} into {PSYCOPG_C} (needs libpq-dev)")
        r = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps"]
            + ["--target", str(PSYCOPG_C), f"psycopg-c=={psycopg.__version__}"],
            capture_output=True,
            text=True,
        )
        if r.returncode:
            run.log(f"[setup] no psycopg-c, the process row is skipped:\n{r.stderr[-800:]}")
            return None
    return PSYCOPG_C


def ensure_competitor(setup: bool) -> None:
    """django-bolt's venv with psycopg (its Python part; the C build comes from PSYCOPG_C)."""
    import psycopg

    py = run.COMP_VENV / "bin" / "python"
    if setup:
        run.setup_competitor(False, sys.executable)
    probe = subprocess.run(
        [str(py), "-c", "import psycopg; print(psycopg.__version__)"], capture_output=True, text=True
    )
    if probe.stdout.strip() != psycopg.__version__:
        run.log(f"[setup] competitor: pip install psycopg=={psycopg.__version__}")
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"psycopg=={psycopg.__version__}"],
            check=True,
        )


def servers(pg: PostgresServer, process_impl: str = "c") -> list[run.Server]:
    bolt_bin = os.environ.get("BOLT_BIN") or str(Path(sys.executable).parent / "bolt")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=run.BOLT_SETTINGS, PYTHONUNBUFFERED="1", **pg.demo_env())
    env["PYTHONPATH"] = os.pathsep.join(d for d in (str(HERE), os.environ.get("PYTHONPATH")) if d)
    env["PGAPPNAME"] = "bench-bolt"
    p = run.free_port()
    argv = [bolt_bin, "--cores", "1", "--settings", run.BOLT_SETTINGS, "--host", "127.0.0.1"]
    argv += ["--port", str(p), "--log-level", "warning"]
    bolt = run.Server("bolt", "bolt", argv, run.DEMO_DIR, env, {0}, p, role="bolt")
    out = [bolt]

    c_build = ensure_psycopg_c()
    if c_build is not None:
        env = dict(bolt.env, PSYCOPG_IMPL=process_impl, PGAPPNAME="bench-bolt-process")
        env["PYTHONPATH"] = os.pathsep.join((str(c_build), env["PYTHONPATH"]))
        p = run.free_port()
        argv = [bolt_bin, "--isolation", "process", "--cores", "1", "--settings", run.BOLT_SETTINGS]
        argv += ["--host", "127.0.0.1", "--port", str(p), "--log-level", "warning"]
        out.append(run.Server("process", "bolt --isolation process", argv, run.DEMO_DIR, env, {0}, p, role="process"))

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="compsite.settings", PYTHONUNBUFFERED="1")
    env.pop("PYTHONPATH", None)
    env.pop("PSYCOPG_IMPL", None)
    if c_build is not None:  # the same C build as bolt's process row
        env.update(PYTHONPATH=str(c_build), PSYCOPG_IMPL="c")
    env.update(BENCH_PG_HOST=pg.host, BENCH_PG_PORT=str(pg.port), BENCH_PG_NAME=DEMO_DB, BENCH_PG_USER=pg.user)
    env["PGAPPNAME"] = "bench-django-bolt"
    p = run.free_port()
    argv = [str(run.COMP_VENV / "bin" / "python"), "manage.py", "runbolt", "--processes", "1", "--workers", "1"]
    argv += ["--host", "127.0.0.1", "--port", str(p), "--no-admin"]
    out.append(run.Server("competitor", "django-bolt", argv, run.COMP_DIR, env, {0}, p, role="competitor"))
    return out


def uses_psycopg_c(server: run.Server) -> bool:
    """Whether a process of the server's tree has psycopg's C module mapped."""
    for pid in run.process_tree(server.proc.pid):
        try:
            with open(f"/proc/{pid}/maps") as f:
                if "psycopg_c" in f.read():
                    return True
        except OSError:
            pass
    return False


def body(server: run.Server) -> list:
    with urllib.request.urlopen(server.base + "/users", timeout=10) as r:
        return json.loads(r.read())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--no-setup", action="store_true", help="do not (re)create the competitor venv")
    ap.add_argument(
        "--process-psycopg",
        choices=("c", "python"),
        default="c",
        help="psycopg implementation of the --isolation process row (python: the sub-interpreter's, to "
        "tell the interpreter's share from psycopg's)",
    )
    args = ap.parse_args()
    ensure_competitor(not args.no_setup)
    pg = PostgresServer.create()
    started: list[run.Server] = []
    try:
        pg.create_database(DEMO_DB)
        run_demo_setup(pg.demo_env(), timeout=300)
        for s in servers(pg, args.process_psycopg):
            s.start()
            started.append(s)
        bodies = [body(s) for s in started]
        keys = [s.key for s in started]
        assert all(b == bodies[0] for b in bodies) and len(bodies[0]) == 10, bodies
        for s in started:  # each row runs the psycopg it is labelled with
            loaded = uses_psycopg_c(s)
            want = s.key == "competitor" and "process" in keys or s.key == "process" and args.process_psycopg == "c"
            assert loaded == want, (s.key, "psycopg C build loaded:", loaded)
        for s in started:  # warm-up: connections open, code paths warm
            run.run_wrk(s, ENDPOINT, 1, args.connections, 1, {1}, [s])
        results: dict[str, list[dict]] = {s.key: [] for s in started}
        for rep in range(args.reps):
            order = started[rep % len(started) :] + started[: rep % len(started)]
            for s in order:
                res = run.run_wrk(s, ENDPOINT, args.duration, args.connections, 1, {1}, [s])
                results[s.key].append(res)
                run.log(
                    f"[run] {s.key}: {res['rps']:.0f} req/s, p99 {res['p99_ms']:.2f} ms, {res['cpu_us_per_req']:.0f} µs CPU/req"
                )
        conns = {s.key: len(pg.backends(DEMO_DB, s.env["PGAPPNAME"])) for s in started}
    finally:
        for s in started:
            s.stop()
        pg.destroy()
    med = {
        k: {m: statistics.median(r[m] for r in v) for m in ("rps", "p99_ms", "cpu_us_per_req", "foreign_cores")}
        for k, v in results.items()
    }
    print(f"\nGET /users (10 rows) on PostgreSQL, {args.reps} x {args.duration} s, wrk -c{args.connections}, medians")
    print("| server | req/s | p99 ms | server CPU µs/req | other load (cores) | connections |")
    print("|---|---|---|---|---|---|")
    for k, label in (
        ("bolt", "bolt --cores 1 (pure-Python psycopg)"),
        (
            "process",
            "bolt --isolation process --cores 1 "
            + ("(psycopg C build)" if args.process_psycopg == "c" else "(pure-Python psycopg)"),
        ),
        ("competitor", "django-bolt 0.13 (psycopg C build)" if "process" in med else "django-bolt 0.13"),
    ):
        if k not in med:
            continue
        m = med[k]
        print(
            f"| {label} | {m['rps']:.0f} | {m['p99_ms']:.2f} | {m['cpu_us_per_req']:.0f} | {m['foreign_cores']:.2f} | {conns[k]} |"
        )
    for k in ("bolt", "process"):
        if k in med:
            print(
                f"{k} / django-bolt: {med[k]['cpu_us_per_req'] / med['competitor']['cpu_us_per_req']:.2f}x "
                f"server CPU per request, {med[k]['rps'] / med['competitor']['rps']:.2f}x req/s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
