#!/usr/bin/env bash
# Builds django-bolt's wheel and sdist into dist/:
#   scripts/wheel.sh            # manylinux2014 x86_64 wheel (zig links against glibc 2.17) + sdist
#   BOLT_WHEEL_AARCH64=1 scripts/wheel.sh   # also the aarch64 wheel (needs rustup's aarch64 target)
#   BOLT_WHEEL_SDIST=0 scripts/wheel.sh     # the wheel only (CI: scripts/env.sh with BOLT_FROM_WHEEL=1)
# Needs .venv (scripts/env.sh) with maturin and ziglang (requirements-dev.txt). The build is
# portable: .cargo/config.toml sets no target-cpu, so a CPU without AVX2 imports the module.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
export PYO3_PYTHON="$PY"
# maturin finds zig through the ziglang package of the python on PATH.
export PATH="$ROOT/.venv/bin:$PATH"
# The docs pages' assets are part of the package (git-ignored, fetched from the npm lock).
"$PY" scripts/docs_assets.py >/dev/null
# A module left in pyext/ by `maturin develop` must not ride along in the wheel: set aside
# while building, put back after.
stash="$(mktemp -d)"
trap 'mv "$stash"/*.so pyext/django_bolt/ 2>/dev/null || true; rmdir "$stash"' EXIT
mv pyext/django_bolt/_native.*.so "$stash"/ 2>/dev/null || true
mkdir -p dist
rm -f dist/django_bolt-*.whl dist/django_bolt-*.tar.gz
# manylinux2014 (glibc 2.17): zig links against that glibc's symbols whatever the build
# machine's is (Debian 12 here, glibc 2.36, which on its own would give manylinux_2_34).
.venv/bin/maturin build --release --zig --compatibility manylinux2014 -i "$PY" --out dist
if [ "${BOLT_WHEEL_AARCH64:-0}" = 1 ]; then
  if rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    .venv/bin/maturin build --release --zig --compatibility manylinux2014 --target aarch64-unknown-linux-gnu \
      -i python3.13 --out dist
  else
    echo "wheel.sh: no aarch64 wheel: run 'rustup target add aarch64-unknown-linux-gnu' first" >&2
  fi
fi
if [ "${BOLT_WHEEL_SDIST:-1}" = 1 ]; then
  .venv/bin/maturin sdist --out dist
fi
ls -l dist/
