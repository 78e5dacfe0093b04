"""``CoreThreads``' admission rules in-process (no server): the queue bound, calls whose client
has gone, calls whose request timed out, the drain at shutdown and a bounded shutdown."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from django_bolt._threads import CoreThreads, Dropped, PoolFull, client_gone


@pytest.fixture
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


def _blocker() -> tuple[threading.Event, object]:
    gate = threading.Event()

    def block() -> str:
        gate.wait(10)
        return "done"

    return gate, block


def test_admit_refuses_past_the_bound_and_counts_only_waiting_calls(loop):
    pool = CoreThreads(loop, 2, "t", max_queued=3)
    gate, block = _blocker()
    futs = [pool.admit(block) for _ in range(5)]  # 2 running + 3 waiting
    assert pool.backlog() == 3
    with pytest.raises(PoolFull) as e:
        pool.admit(block)
    assert not e.value.shutting_down
    gate.set()
    assert loop.run_until_complete(asyncio.gather(*futs)) == ["done"] * 5
    assert pool.backlog() == 0
    assert loop.run_until_complete(pool.admit(lambda: 1)) == 1  # room again
    assert pool.shutdown(wait=True, timeout=5)


def test_a_queued_call_whose_client_closed_is_dropped_not_run(loop):
    pool = CoreThreads(loop, 1, "t", max_queued=10)
    gate, block = _blocker()
    ran = []
    server, client = socket.socketpair()
    try:
        first = pool.admit(block)
        queued = pool.admit(lambda: ran.append(1), server.fileno())
        alive_server, alive_client = socket.socketpair()
        kept = pool.admit(lambda: ran.append(2), alive_server.fileno())
        client.close()  # the first client gives up while its call waits
        gate.set()
        assert loop.run_until_complete(first) == "done"
        with pytest.raises(Dropped):
            loop.run_until_complete(queued)
        loop.run_until_complete(kept)
        assert ran == [2] and pool.dropped == 1
        alive_server.close()
        alive_client.close()
    finally:
        server.close()
        pool.shutdown(wait=True, timeout=5)


def test_client_gone_sees_a_close_but_not_pending_data():
    a, b = socket.socketpair()
    try:
        assert not client_gone(a.fileno())
        b.sendall(b"GET / HTTP/1.1\r\n\r\n")  # a pipelined request is not a goodbye
        assert not client_gone(a.fileno())
        b.close()
        assert client_gone(a.fileno())
    finally:
        a.close()


def test_a_call_whose_waiter_gave_up_is_not_run(loop):
    pool = CoreThreads(loop, 1, "t", max_queued=10)
    gate, block = _blocker()
    ran = []
    first = pool.admit(block)
    queued = pool.admit(lambda: ran.append(1))
    queued.cancel()  # what asyncio.wait_for does at --request-timeout
    gate.set()
    loop.run_until_complete(first)
    loop.run_until_complete(pool.admit(lambda: None))
    assert ran == [] and pool.dropped == 1
    pool.shutdown(wait=True, timeout=5)


def test_drain_drops_what_waits_and_refuses_new_calls(loop):
    pool = CoreThreads(loop, 1, "t", max_queued=10)
    gate, block = _blocker()
    running = pool.admit(block)
    waiting = [pool.admit(block) for _ in range(4)]
    assert pool.drain() == 4
    with pytest.raises(PoolFull) as e:
        pool.admit(block)
    assert e.value.shutting_down
    gate.set()
    assert loop.run_until_complete(running) == "done"
    for f in waiting:
        with pytest.raises(Dropped):
            loop.run_until_complete(f)
    assert pool.shutdown(wait=True, timeout=5)


def test_shutdown_gives_up_on_a_thread_after_its_timeout(loop):
    pool = CoreThreads(loop, 1, "t", max_queued=10)
    gate, block = _blocker()
    pool.admit(block)
    assert pool.shutdown(wait=True, timeout=0.2) is False
    gate.set()


def test_a_slow_call_s_result_is_not_held_back_behind_the_next_call(loop):
    """One thread, two queued slow calls: the first one's result reaches the loop while the second
    still runs (it used to wait in the thread's batch until the second had run too)."""
    pool = CoreThreads(loop, 1, "t", max_queued=10)
    second_gate = threading.Event()
    first = pool.admit(lambda: time.sleep(0.05) or 1)
    second = pool.admit(lambda: (second_gate.wait(10), 2)[1])
    try:
        assert loop.run_until_complete(asyncio.wait_for(first, 5)) == 1
        assert not second.done()
    finally:
        second_gate.set()
    assert loop.run_until_complete(second) == 2
    pool.shutdown(wait=True, timeout=5)
