"""docs/compat.md stays true: every name a *same* or *different* row lists imports, no name of a
*missing* row does, and no row is missing or different without a note saying why."""

from __future__ import annotations

import importlib
import inspect
import re
from types import ModuleType

import pytest

from support.paths import REPO

TABLE = REPO / "docs" / "compat.md"
STATUSES = ("same", "different", "missing", "in progress")
# A module, a name in it (dotted for attributes), and optionally the keyword arguments it takes:
# ``django_bolt.enums``, ``django_bolt:BoltAPI.get``, ``django_bolt:BoltAPI(compression,prefix)``.
SPEC = re.compile(r"(?P<mod>[\w.]+)(?::(?P<attr>[\w.]+)(?:\((?P<kw>[\w,]*)\))?)?")


def _rows() -> list[tuple[str, str, list[str], str]]:
    rows = []
    for line in TABLE.read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| django-bolt 0.13 |"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        assert len(cells) == 4, f"a row needs 4 cells: {line}"
        item, status, specs, note = cells
        rows.append((item, status, re.findall(r"`([^`]+)`", specs), note))
    return rows


ROWS = _rows()


def present(spec: str) -> bool:
    """Whether ``spec`` (see ``SPEC``) imports: the module, the name, the keyword arguments."""
    m = SPEC.fullmatch(spec)
    assert m, f"not a spec: {spec!r}"
    try:
        obj: object = importlib.import_module(m["mod"])
    except ImportError:
        return False
    for part in (m["attr"] or "").split(".") if m["attr"] else ():
        try:
            child = getattr(obj, part)
        except AttributeError:
            return False
        # A submodule is an attribute of its package once imported; that is not the name.
        if isinstance(obj, ModuleType) and isinstance(child, ModuleType) and child.__name__ == f"{obj.__name__}.{part}":
            return False
        obj = child
    if m["kw"] is not None:
        params = inspect.signature(obj).parameters  # type: ignore[arg-type]
        return all(k in params for k in m["kw"].split(",") if k)
    return True


def test_the_table_has_every_row_of_the_parity_list():
    assert len(ROWS) == 272
    assert {status for _, status, _, _ in ROWS} <= set(STATUSES)


def test_the_totals_line_counts_the_rows():
    # The summary is read before the rows; a row changed without it would mislead.
    m = re.search(
        r"^Totals: (\d+) same, (\d+) different, (\d+) missing, (\d+) in progress \((\d+) rows\)\.$",
        TABLE.read_text(),
        re.M,
    )
    assert m, "docs/compat.md needs its 'Totals: ...' line"
    counted = [sum(1 for r in ROWS if r[1] == status) for status in STATUSES]
    assert [int(g) for g in m.groups()] == [*counted, len(ROWS)]


@pytest.mark.parametrize(("item", "status", "specs", "note"), ROWS, ids=[r[0][:60] for r in ROWS])
def test_row(item, status, specs, note):
    if status != "same":
        assert note, f"{item}: a {status} row says why"
    if status in ("same", "different"):
        absent = [s for s in specs if not present(s)]
        assert not absent, f"{item} is marked {status} but these do not import: {absent}"
    elif status == "missing":
        found = [s for s in specs if present(s)]
        assert not found, f"{item} is marked missing but these import: {found} (update docs/compat.md)"


def test_the_spec_checker_tells_present_from_absent():
    assert present("django_bolt.enums") and present("django_bolt:BoltAPI(prefix,compression)")
    assert not present("django_bolt.no_such_module") and not present("django_bolt:BoltAPI(no_such_kw)")
    # A submodule is not a name: django_bolt.auth is a package, django-bolt has no `auth` name.
    assert not present("django_bolt:auth")
    assert present("django_bolt:middleware")  # django-bolt's decorator (it shadows the package attribute)
    assert present("django_bolt:status")  # the status_codes module under django-bolt's name
