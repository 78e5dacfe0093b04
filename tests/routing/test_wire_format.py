"""The Python→Rust wire format (`_plans.py`) agrees with the native module."""

from django_bolt import _native, _plans


def test_every_code_matches_the_native_module():
    native = _native.plan_codes()
    assert native == _plans.CODES
    # Not vacuous: each family is there, and a wrong value would show.
    assert {"SRC_BODY", "K_MODEL", "F_EMBED"} <= set(native)
    assert len(native) == 8 + 11 + 4


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
    )
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
