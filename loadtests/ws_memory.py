#!/usr/bin/env python3
"""Where an idle WebSocket's Python memory goes: N sockets opened in this process to the echo
handler of ws_bench.py (loadtests/ws_api.py), through the server's own handshake path (the
in-process test client's native entry, src/runtime/inprocess.rs), with tracemalloc on. Each
handler ends up suspended in ``receive()``, as on a real idle server; the report gives the
Python bytes per socket, by the file that allocated them and by object type.

    python3 loadtests/ws_memory.py --sockets 5000

What it does not see: the Rust side of a socket on a server core (its reader and writer
tasks, buffers and timers), which ``ws_bench.py idle``'s RSS includes; the difference of the
two is that.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "pyext"), str(ROOT / "examples" / "demo")]
os.environ["DJANGO_SETTINGS_MODULE"] = "bolt_site.ws_settings"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockets", type=int, default=5000)
    ap.add_argument("--top", type=int, default=12)
    n = ap.parse_args().sockets
    top = ap.parse_args().top

    import django

    django.setup()
    from django_bolt import _native
    from django_bolt.testing.client import _Served
    from ws_api import api

    served = _Served(
        api,
        raise_server_exceptions=True,
        cors_allowed_origins=None,
        read_django_settings=True,
        static_files_config=None,
        bootstrap_django=True,
    )
    fields = [
        (b"host", b"testserver"),
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"sec-websocket-version", b"13"),
    ]

    def open_one() -> int:
        status, _headers, _body, token, _first = _native.test_ws(
            served.app, 0, 0, (b"/ws/echo", fields, "127.0.0.1:40000")
        )
        assert status == 101, status
        return token

    for _ in range(50):  # warm-up: first-use caches are not the sockets' cost
        open_one()
    gc.collect()
    types_before = Counter(type(o).__name__ for o in gc.get_objects())
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    tokens = [open_one() for _ in range(n)]
    gc.collect()
    after = tracemalloc.take_snapshot()
    types_after = Counter(type(o).__name__ for o in gc.get_objects())
    stats = after.compare_to(before, "filename")
    total = sum(s.size_diff for s in stats)
    print(f"{n} idle sockets: Python heap +{total / 1024:.0f} KiB, {total / n:.0f} bytes per socket")
    print("by file (bytes per socket):")
    for s in stats[:top]:
        print(f"  {s.size_diff / n:8.0f}  {s.traceback[0].filename}")
    print("by line (bytes per socket):")
    for s in after.compare_to(before, "lineno")[:top]:
        frame = s.traceback[0]
        print(f"  {s.size_diff / n:8.0f}  {Path(frame.filename).name}:{frame.lineno}")
    print("tracked objects per socket, by type:")
    diff = Counter({k: types_after[k] - types_before.get(k, 0) for k in types_after})
    for name, count in diff.most_common(top):
        print(f"  {count / n:6.2f}  {name}")
    assert len(tokens) == n


if __name__ == "__main__":
    main()
