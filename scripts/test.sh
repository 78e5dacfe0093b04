#!/usr/bin/env bash
# Sets up everything (Python 3.13 venv, the extension, the demo DB) and runs every test:
# Rust unit tests, Python checks, then the black-box suite against the real `bolt` under io_uring and epoll.
source "$(dirname "$0")/env.sh"
echo "== Rust: fmt, clippy, layers, unit tests"
cargo fmt --check
cargo clippy --all-targets -q -- -D warnings
.venv/bin/python scripts/layers.py
cargo test -q --lib
echo "== Python: ruff format, ruff check, import cycles"
.venv/bin/ruff format --check -q
.venv/bin/ruff check -q
.venv/bin/python scripts/import_cycles.py
for driver in uring epoll; do
  echo "== black-box suite, driver $driver"
  BOLT_TEST_DRIVER=$driver .venv/bin/python -m pytest -q "$@"
done
# The ORM-backed tests again on a real PostgreSQL the tests start (tests/support/pg.py), once:
# what they check of the database does not depend on the driver; with them the database faults
# under load (test_db_faults.py, PostgreSQL only), and two hosts behind nginx sharing one
# PostgreSQL and one Redis on network namespaces (tests/multihost, root only). test_db_lifecycle.py
# runs on both databases in every run above.
echo "== ORM-backed tests on PostgreSQL, driver uring"
BOLT_TEST_DATABASE=postgresql BOLT_TEST_DRIVER=uring .venv/bin/python -m pytest -q \
  tests/django_integration/test_orm.py tests/django_integration/test_async_orm.py \
  tests/django_integration/test_transactions.py tests/django_integration/test_db_faults.py \
  tests/multihost
# The body and WebSocket frame decoders and the request framing under libFuzzer (ASan) for a bounded time,
# then the framing against hyper's HTTP/1 server (h1_differential; its hyper build shares the fuzz
# package's dependency build with the steps before it, so the step costs its run time plus a link:
# 2m13s for 120 s of fuzzing on 2026-11-28); BOLT_FUZZ_SECONDS=0 skips them.
if [ "${BOLT_FUZZ_SECONDS:-30}" != 0 ]; then
  echo "== fuzzing the JSON body decoder"
  # Its rate fell from ~500 to 68-177 execs/s on 2026-11-28 with the decoder's code unchanged (also
  # with the old target-cpu=x86-64-v3 build). Where the time goes: libFuzzer re-runs each input that
  # ends with more mallocs than frees and then makes a full LeakSanitizer pass over the embedded
  # interpreter's heap; side by side, the same binary and corpus give 342 execs/s with
  # -detect_leaks=0 and 3 without (box at load 24). It is not a per-input leak: one valid body run
  # 3,000 times (`body_decode -runs=3000 -trace_malloc=1 FILE`) ends 44 mallocs / 38 frees in its
  # first runs, then 44/44 in 2,522 of its 3,505 executions (libFuzzer's re-runs included) and
  # 44/43..38 in the rest, a few blocks of 44-64 bytes kept past their run; and the shipped build
  # makes 200,000 decode round trips of one body after 2,000 to warm up with its RSS flat
  # (34,028 -> 33,772 KiB) and 53 more Python blocks (sys.getallocatedblocks). So a store that
  # fills and stops; which one is not found (-trace_malloc=2 prints a stack per malloc, and took
  # over 20 minutes through the interpreter's start-up alone).
  # A per-input leak drops the rate to ~10, so 30 still tells one apart.
  FUZZ_MIN_EXECS="${FUZZ_MIN_EXECS:-30}" "$(dirname "$0")/fuzz.sh" "${BOLT_FUZZ_SECONDS:-30}"
  echo "== fuzzing the WebSocket frame decoder"
  "$(dirname "$0")/fuzz.sh" "${BOLT_FUZZ_SECONDS:-30}" ws_frames
  echo "== fuzzing the request framing (head, Content-Length, chunked; split reads)"
  "$(dirname "$0")/fuzz.sh" "${BOLT_FUZZ_SECONDS:-30}" h1_framing
  echo "== fuzzing the request framing against hyper's HTTP/1 server (differential)"
  "$(dirname "$0")/fuzz.sh" "${BOLT_FUZZ_SECONDS:-30}" h1_differential
fi
