"""One own-GIL sub-interpreter per core, all in one OS process."""

import os

import pytest

from support.wire import Conn, get

CONNECTIONS = 40


def whoami_over_fresh_connections(port: int, n: int) -> list[dict]:
    seen = []
    for _ in range(n):
        with Conn(port) as conn:
            for _ in range(3):
                resp = conn.request("GET", "/whoami")
                assert resp.status == 200
                seen.append(resp.json())
    return seen


def test_one_core_serves_from_one_subinterpreter(server):
    seen = whoami_over_fresh_connections(server.port, 10)
    assert len({w["interp_id"] for w in seen}) == 1
    assert seen[0]["interp_id"] != 0, "must not serve from the main interpreter"
    assert {w["pid"] for w in seen} == {server.pid}


def test_one_core_process_has_two_interpreters(server):
    resp = get(server.port, "/interpreters")
    assert resp.status == 200
    assert resp.json() == {"count": 2}


def test_two_cores_serve_from_two_subinterpreters_on_two_threads(server2):
    seen = whoami_over_fresh_connections(server2.port, CONNECTIONS)
    interps = {w["interp_id"] for w in seen}
    threads = {w["thread_id"] for w in seen}
    assert len(interps) == 2, f"interp_ids seen: {sorted(interps)}"
    assert 0 not in interps, "must not serve from the main interpreter"
    assert len(threads) == 2, f"thread_ids seen: {sorted(threads)}"
    assert {w["pid"] for w in seen} == {server2.pid}


def test_a_connection_stays_on_its_interpreter(server2):
    with Conn(server2.port) as conn:
        ids = {conn.request("GET", "/whoami").json()["interp_id"] for _ in range(10)}
    assert len(ids) == 1


def test_two_cores_process_has_three_interpreters(server2):
    resp = get(server2.port, "/interpreters")
    assert resp.status == 200
    assert resp.json() == {"count": 3}


def _cpus_allowed(pid: int, tid: int) -> set[int]:
    """The CPUs a thread may run on, from /proc (Cpus_allowed_list: "0", "0-3", "0,2-3")."""
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        line = next(l for l in f if l.startswith("Cpus_allowed_list:"))
    cpus: set[int] = set()
    for part in line.split(":", 1)[1].strip().split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def test_each_worker_is_pinned_to_its_own_core(server, server2):
    """--cores N pins worker i to the i-th CPU this process may use (os.sched_getaffinity)."""
    available = sorted(os.sched_getaffinity(0))
    one = server.worker_threads(1)
    [tid] = one.values()
    assert _cpus_allowed(server.pid, tid) == {available[0]}
    if len(available) < 2:
        pytest.skip("a 2-core server is only pinned when 2 CPUs are available")
    two = server2.worker_threads(2)
    assert len(two) == 2, two
    pins = [_cpus_allowed(server2.pid, tid) for tid in two.values()]
    assert all(len(p) == 1 for p in pins), pins
    assert sorted(min(p) for p in pins) == available[:2]
