"""One own-GIL sub-interpreter per core, all in one OS process."""

from wire import Conn, get

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
