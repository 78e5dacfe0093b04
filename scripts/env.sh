# Shared set-up for scripts/demo.sh and scripts/test.sh: a Python 3.13 virtualenv in .venv with
# the build and test tools, and django-bolt built into it. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The browser test drives Debian's headless Chromium through chromedriver; install them when we
# can (root with apt), otherwise that one test is skipped outside CI and fails in CI.
if ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
# The PostgreSQL tests start a throwaway server (tests/support/pg.py: initdb/pg_ctl from PATH or
# /usr/lib/postgresql/*/bin) and talk to it with psycopg's pure-Python build, which loads libpq
# (Debian's libpq5) through ctypes. Install both when we can; without them those tests are
# skipped outside CI and fail in CI.
if ! { command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 \
  || ! ldconfig -p 2>/dev/null | grep -q 'libpq\.so\.5'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql libpq5 >/dev/null
  fi
fi
# Shared rate limits and JWT revocation are tested against a real Redis (tests/support/redisproc.py
# starts Debian's redis-server on a free port, no persistence). Without it those tests are skipped
# outside CI and fail in CI.
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
fi
if [ ! -x .venv/bin/python ]; then
  PY313="${PYTHON313:-}"
  if [ -z "$PY313" ]; then
    if command -v pyenv >/dev/null 2>&1 && PYENV_VERSION=3.13.0 pyenv which python3 >/dev/null 2>&1; then
      PY313="$(PYENV_VERSION=3.13.0 pyenv which python3)"
    else
      PY313="$(command -v python3.13 || true)"
    fi
  fi
  [ -n "$PY313" ] || { echo "need Python 3.13 (pyenv 3.13.0, python3.13, or PYTHON313=/path)" >&2; exit 1; }
  "$PY313" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
# The docs pages' JavaScript/CSS from the npm registry, checked against the lock (no CDN at run time).
.venv/bin/python scripts/docs_assets.py
export PYO3_PYTHON="$ROOT/.venv/bin/python"
if [ "${BOLT_FROM_WHEEL:-0}" = 1 ]; then
  # CI (.ci/run): the suite tests the package as users install it. The one release build of
  # the extension is the wheel's (scripts/wheel.sh), installed over any editable install; the
  # tests then import django_bolt from site-packages, never from pyext/
  # (tests/wheel/test_install.py checks that).
  BOLT_WHEEL_SDIST=0 scripts/wheel.sh >/dev/null
  .venv/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    dist/django_bolt-*-manylinux*_x86_64.whl
else
  # Developers: the extension built into the venv, editable (pyext/ stays the package's source).
  .venv/bin/maturin develop --release -q
fi
PYTHON="$ROOT/.venv/bin/python" sh examples/demo/setup.sh >/dev/null
