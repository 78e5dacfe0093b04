"""Polling until something holds: for what a server does just after its response went out (an
``async def`` request ending on another thread, a log record, descriptors being closed).

(Waiting for a server's own output is ``BoltProcess.wait_for``/``wait_log``/``wait_stderr``.)
"""

from __future__ import annotations

import time
from collections.abc import Callable


def poll[T](what: Callable[[], T], done: Callable[[T], bool], timeout: float, interval: float = 0.05) -> T:
    """Calls ``what()`` until ``done`` holds for its value or ``timeout`` has passed; returns the
    last value (the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def eventually[T](what: Callable[[], T], check: Callable[[T], bool], timeout: float = 3.0) -> T:
    """``what()`` once ``check`` holds for it; fails with the last value after ``timeout``."""
    value = poll(what, check, timeout)
    assert check(value), value
    return value
