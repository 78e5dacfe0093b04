"""A turn of a core's asyncio loop (``Runtime.pump``) runs ready callbacks for about 1 ms, then
hands the core back to its sockets with the rest still queued, in order (the README's "slices"
claim: a burst on the loop does not hold every connection of the core for its whole length)."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from django_bolt._worker import _TURN_BUDGET, Runtime


def test_a_turn_stops_after_its_budget_and_the_next_turns_finish_in_order():
    loop = asyncio.new_event_loop()
    try:
        ran: list[int] = []

        def slow(i: int) -> None:
            time.sleep(_TURN_BUDGET / 2)
            ran.append(i)

        for i in range(20):
            loop.call_soon(slow, i)
        core = SimpleNamespace(loop=loop)
        assert Runtime.pump(core) == 0.0, "callbacks still ready: the next turn comes at once"
        assert 1 <= len(ran) <= 4, f"{len(ran)} callbacks of {_TURN_BUDGET / 2:.4f} s in one turn"
        turns = 1
        while Runtime.pump(core) == 0.0:
            turns += 1
        assert ran == list(range(20))
        assert turns >= 5
    finally:
        loop.close()


def test_a_turn_runs_due_timers_and_reports_the_next_one():
    loop = asyncio.new_event_loop()
    try:
        fired: list[str] = []
        loop.call_later(0, fired.append, "due")
        loop.call_later(30, fired.append, "later")
        time.sleep(0.01)
        hint = Runtime.pump(SimpleNamespace(loop=loop))
        assert fired == ["due"]
        assert 29 < hint <= 30
    finally:
        loop.close()
