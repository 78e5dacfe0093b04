"""Which copy of django_bolt this suite runs: in CI (``BOLT_FROM_WHEEL=1``, set by .ci/run) the
wheel installed into .venv, never pyext/ of the checkout, or CI would test something users never
get; in a developer's run, whatever the venv has (``maturin develop``: pyext/)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import django_bolt
from support.boltproc import bolt_executable, server_env
from support.paths import DEMO, REPO

FROM_WHEEL = os.environ.get("BOLT_FROM_WHEEL") == "1"


def test_the_suite_imports_the_package_it_is_meant_to():
    # CI (BOLT_FROM_WHEEL=1) tests the installed wheel: the package must come from site-packages,
    # never from pyext/ (PYTHONPATH, an editable install); a developer's run uses pyext/.
    where = Path(django_bolt.__file__).resolve()
    native = Path(django_bolt._native.__file__).resolve()
    if FROM_WHEEL:
        assert "site-packages" in where.parts, where
        assert REPO / "pyext" not in where.parents, where
        assert native.parent == where.parent, (native, where)
    else:
        assert native.parent == where.parent, (native, where)


def test_the_bolt_executable_runs_the_same_copy():
    # The servers of the black-box suite are `bolt` subprocesses: they must load the copy above.
    r = subprocess.run(
        [str(Path(bolt_executable()).parent / "python"), "-c", "import django_bolt; print(django_bolt.__file__)"],
        cwd=DEMO,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).resolve() == Path(django_bolt.__file__).resolve()
