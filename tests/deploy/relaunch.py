"""Stands in for systemd's service manager in tests: holds the socket it was activated with and
runs a command on it, restarting the command on SIGHUP as ``systemctl restart`` does.

    systemd-socket-activate -l 127.0.0.1:PORT python relaunch.py [--gap S] bolt --cores 1 ...

``systemd-socket-activate`` binds the socket and execs this script with it as fd 3
(``LISTEN_FDS=1``, ``LISTEN_PID`` = this process), but it has no restart of its own: here, each
child gets the same fd 3 with ``LISTEN_PID`` set to the child's own pid, as systemd does for
``bolt.service`` while ``bolt.socket`` holds the socket. On SIGHUP the child gets SIGTERM, is
waited for, and ``--gap`` seconds later (systemd's ``RestartSec=``) a new one starts; the socket
stays open all along. SIGINT/SIGTERM stop the child the same way and exit with its exit code.
Lines on stderr (``relaunch: ...``) say when a child stopped and started.
"""

from __future__ import annotations

import os
import signal
import sys
import time


def _say(line: str) -> None:
    print(f"relaunch: {line}", file=sys.stderr, flush=True)


def _start(argv: list[str]) -> int:
    pid = os.fork()
    if pid == 0:
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _say(f"started pid {pid}")
    return pid


def _code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def main() -> int:
    args = sys.argv[1:]
    gap = 0.0
    if args[:1] == ["--gap"]:
        gap, args = float(args[1]), args[2:]
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        _say("not socket-activated with one socket")
        return 2
    os.set_inheritable(3, True)
    events: list[int] = []
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: events.append(signum))
    child = _start(args)
    while True:
        if not events:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                _say(f"pid {child} exited by itself ({_code(status)})")
                return _code(status)
            time.sleep(0.02)
            continue
        signum = events.pop(0)
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
        _say(f"pid {child} stopped ({_code(status)})")
        if signum != signal.SIGHUP:
            return _code(status)
        time.sleep(gap)
        child = _start(args)


if __name__ == "__main__":
    sys.exit(main())
