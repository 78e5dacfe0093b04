#!/usr/bin/env bash
# Fuzzes a decoder for a bounded time: the JSON request-body decoder (fuzz/fuzz_targets/body_decode.rs,
# the default), the WebSocket frame decoder (ws_frames.rs), the request framing (h1_framing.rs) or
# the request framing against hyper's HTTP/1 server (h1_differential.rs):
#   scripts/fuzz.sh [seconds] [target]      (default 30 body_decode)
# Exits non-zero on a finding; libFuzzer saves the input under fuzz/artifacts/<target>/.
# Needs .venv with django-bolt's Python deps (scripts/env.sh makes it). Runs on the stable
# toolchain: cargo-fuzz passes -Z flags (-Zsanitizer=address), which RUSTC_BOOTSTRAP=1 lets
# stable accept; stable's rust-std ships the ASan runtime for x86_64-linux.
# FUZZ_MIN_EXECS (default 200): a lower average rate fails the run (see the end).
set -euo pipefail
DURATION="${1:-30}"
TARGET="${2:-body_decode}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -x .venv/bin/python ] || { echo "no .venv: run scripts/test.sh first" >&2; exit 1; }

# The fuzz binary embeds this Python: pyo3 links its libpython, fuzz/build.rs bakes in the
# rpath and site-packages.
export PYO3_PYTHON="$ROOT/.venv/bin/python"
export RUSTC_BOOTSTRAP=1
# cargo-fuzz sets RUSTFLAGS (appending ours), and RUSTFLAGS replaces .cargo/config.toml's
# build.rustflags: pass those on, so the fuzzed code is built as the real one is.
RUSTFLAGS="$(.venv/bin/python -c 'import tomllib; print(" ".join(tomllib.load(open(".cargo/config.toml", "rb"))["build"]["rustflags"]))')"
export RUSTFLAGS

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz into ~/.cargo/bin"
  cargo install cargo-fuzz --locked
fi

echo "== building fuzz target $TARGET ($(rustc --version); RUSTFLAGS=$RUSTFLAGS)"
cargo fuzz build $TARGET
echo "== fuzzing $TARGET for ${DURATION}s (corpus fuzz/corpus/$TARGET)"
LOG=fuzz/target/$TARGET.log
# -max_len bounds the body size; -timeout makes a hang (>10 s on one input) a finding;
# -rss_limit_mb makes runaway memory one.
if ! cargo fuzz run $TARGET -- -max_total_time="$DURATION" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tee "$LOG"; then
  echo "== FINDING: input saved under fuzz/artifacts/$TARGET/ (log: $LOG); reproduce with" >&2
  echo "   PYO3_PYTHON=$PYO3_PYTHON RUSTC_BOOTSTRAP=1 RUSTFLAGS='$RUSTFLAGS' cargo fuzz run $TARGET fuzz/artifacts/$TARGET/<file>" >&2
  exit 1
fi
# A Python object leaked on every input, when it is GC-tracked (list, dict, Struct), stays
# reachable through the GC's lists, so LeakSanitizer never reports it; but libFuzzer re-checks
# every input whose mallocs and frees differ, which drops the rate from ~10^4 to ~10^1 execs/s.
# Treat that collapse as the finding it is.
EXECS="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG")"
if [ "${EXECS:-0}" -lt "${FUZZ_MIN_EXECS:-200}" ]; then
  echo "== FINDING: only ${EXECS:-?} execs/s (< ${FUZZ_MIN_EXECS:-200}): likely a per-input leak" >&2
  exit 1
fi
echo "== no findings in ${DURATION}s (${EXECS} execs/s)"
