"""The Python→Rust wire format (`_plans.py`) agrees with the native module."""

import ast
from pathlib import Path

from django_bolt import _native, _plans


def test_every_code_matches_the_native_module():
    native = _native.plan_codes()
    assert native == _plans.CODES
    # Not vacuous: each family is there, and a wrong value would show.
    assert {"SRC_BODY", "K_MODEL", "F_EMBED", "F_TUPLE"} <= set(native)
    assert len(native) == 8 + 11 + 7


def test_plans_are_named_so_rust_reads_fields_by_name():
    # Rust reads these attributes by name (src/app/plan.rs); renaming one breaks boot.
    assert _plans.RoutePlan._fields == (
        "method",
        "path",
        "handler",
        "status_code",
        "params",
        "blocking",
        "name",
        "cors",
        "rate_limit",
        "security",
        "response",
        "compress",
        "renderers",
        "websocket",
        "error_hook",
        "upload_limits",
        "precheck",
        "logged",
    )
    assert _plans.LimitPlan._fields == ("rate", "burst", "key", "shared")
    assert _plans.ParamPlan._fields[:8] == (
        "name",
        "source",
        "kind",
        "flags",
        "default",
        "key",
        "model",
        "constraints",
    )


def test_native_stub_declares_every_function():
    stub = Path(_native.__file__).with_name("_native.pyi")
    declared = {n.name for n in ast.parse(stub.read_text()).body if isinstance(n, ast.FunctionDef)}
    native = {n for n in dir(_native) if not n.startswith("_") and callable(getattr(_native, n))}
    assert declared == native
