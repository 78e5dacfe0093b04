"""django_bolt.json vs msgspec, in one interpreter and one run.

    .venv/bin/python benches/typed_vs_msgspec.py           # 7 interleaved rounds (~10 s)
    .venv/bin/python benches/typed_vs_msgspec.py --quick   # 5 short rounds (~3-5 s)

Two measurements, each done by both libraries on identical model definitions:

* decode+validate: one ~1.3 KB JSON order into a 20-field Struct (ints/floats/strs with
  Meta constraints, bool, datetime, UUID, Enum, Optionals, list[str], dict[str, int], a nested
  Address and a list of 4 nested Line Structs):
  ``django_bolt.json.decode(buf, type=Order)`` vs ``msgspec.json.decode(buf, type=Order)``.
* encode: a list of 1000 instances of an 8-field Struct:
  ``django_bolt.json.encode(rows)`` vs ``msgspec.json.encode(rows)``.

Targets (from the issue): decode+validate within 1.5x of msgspec, encode at least as fast.

Before timing, the script checks that both sides decode to equal values, reject the same
invalid documents, and encode JSON that parses to equal objects; if not it exits 1 (the
comparison would be meaningless). Missing a target is reported, not an error: exit 0.

msgspec is not a dependency of django-bolt. It is loaded from the first of
``loadtests/.venv-competitor`` (django-bolt 0.13 from PyPI, which depends on msgspec) or
``benches/.venv-msgspec``, which is created (``python -m venv`` with the running interpreter,
``pip install msgspec``) when neither has a msgspec built for this Python. Only the msgspec
package itself is imported from there (nothing else of that site-packages goes on sys.path),
so the django_bolt measured is always this checkout's.
"""

import argparse
import datetime as dt
import enum
import gc
import glob
import importlib.machinery
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit
import uuid
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parent.parent
OWN_VENV = ROOT / "benches" / ".venv-msgspec"
VENVS = [ROOT / "loadtests" / ".venv-competitor", OWN_VENV]

DECODE_TARGET = 1.5  # bolt/msgspec time, at most
ENCODE_TARGET = 1.0


# ----------------------------------------------------------------------------- msgspec loading


def _msgspec_dir(venv: Path) -> Path | None:
    """msgspec's package dir in `venv` if its extension was built for this interpreter."""
    for site in sorted(glob.glob(str(venv / "lib" / "python*" / "site-packages"))):
        pkg = Path(site) / "msgspec"
        if not (pkg / "__init__.py").is_file():
            continue
        if any((pkg / f"_core{suffix}").is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES):
            return pkg
    return None


def _import_package(pkg: Path) -> Any:
    """Imports the package in `pkg` under its own name without adding its parent to sys.path."""
    spec = importlib.util.spec_from_file_location(pkg.name, pkg / "__init__.py", submodule_search_locations=[str(pkg)])
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[pkg.name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules[pkg.name]
        raise
    return mod


def load_msgspec() -> tuple[Any, str]:
    try:
        import msgspec  # already importable (installed alongside django_bolt)

        return msgspec, "this interpreter's sys.path"
    except ImportError:
        pass
    for venv in VENVS:
        pkg = _msgspec_dir(venv)
        if pkg is not None:
            return _import_package(pkg), str(pkg.relative_to(ROOT))
    print(
        f"msgspec not found: creating {OWN_VENV.relative_to(ROOT)} (python -m venv + pip install msgspec)", flush=True
    )
    try:
        if not (OWN_VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(OWN_VENV)], check=True)
        subprocess.run(
            [str(OWN_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "msgspec"],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"could not install msgspec into {OWN_VENV}: {e}")
    pkg = _msgspec_dir(OWN_VENV)
    if pkg is None:
        sys.exit(f"{OWN_VENV} has no msgspec built for Python {platform.python_version()}")
    return _import_package(pkg), str(pkg.relative_to(ROOT))


# ----------------------------------------------------------------------------- models


class Status(enum.Enum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


def make_models(Struct: type, Meta: Any) -> dict[str, type]:
    """The same classes for both libraries: only `Struct` and `Meta` differ. (No
    `from __future__ import annotations` in this file: the annotations refer to locals.)"""

    Sku = Annotated[str, Meta(min_length=1, max_length=32)]
    Name = Annotated[str, Meta(min_length=1, max_length=200)]
    Money = Annotated[float, Meta(ge=0, le=1_000_000)]

    class Address(Struct):
        name: Name
        street: Name
        city: Annotated[str, Meta(min_length=1, max_length=100)]
        postcode: Annotated[str, Meta(min_length=3, max_length=12)]
        country: Annotated[str, Meta(pattern="^[A-Z]{2}$")]
        phone: Annotated[str, Meta(max_length=32)] | None = None

    class Line(Struct):
        sku: Sku
        name: Name
        quantity: Annotated[int, Meta(ge=1, le=1000)]
        unit_price: Money
        discount: Annotated[float, Meta(ge=0, le=1)] | None = None

    class Order(Struct):
        id: Annotated[int, Meta(ge=1)]
        customer_id: Annotated[int, Meta(ge=1, le=10**9)]
        reference: uuid.UUID
        status: Status
        created_at: dt.datetime
        email: Annotated[str, Meta(min_length=3, max_length=254)]
        currency: Annotated[str, Meta(min_length=3, max_length=3)]
        subtotal: Money
        tax: Money
        total: Money
        paid: bool
        tags: Annotated[list[str], Meta(max_length=20)]
        attributes: dict[str, int]
        shipping: Address
        lines: Annotated[list[Line], Meta(min_length=1, max_length=100)]
        billing: Address | None = None
        updated_at: dt.datetime | None = None
        note: Annotated[str, Meta(max_length=500)] | None = None
        coupon: str | None = None
        gift: bool = False

    class Row(Struct):
        id: int
        name: str
        email: str
        price: float
        in_stock: bool
        tags: list[str]
        status: Status
        created_at: dt.datetime

    assert len(Order.__struct_fields__) == 20 and len(Row.__struct_fields__) == 8
    return {"Order": Order, "Address": Address, "Line": Line, "Row": Row}


ORDER = {
    "id": 123456,
    "customer_id": 987654,
    "reference": "6f1c1a9e-3b7e-4f53-9a4e-2d7c2f0b9a11",
    "status": "paid",
    "created_at": "2024-05-01T12:30:45.123456+00:00",
    "email": "jane.doe@example.com",
    "currency": "EUR",
    "subtotal": 219.85,
    "tax": 41.77,
    "total": 261.62,
    "paid": True,
    "tags": ["priority", "gift-wrap", "eu", "returning-customer"],
    "attributes": {"loyalty_points": 1200, "items_count": 7, "warehouse": 3, "priority": 2},
    "shipping": {
        "name": "Jane Doe",
        "street": "12 Rue de la Paix",
        "city": "Paris",
        "postcode": "75002",
        "country": "FR",
        "phone": "+33 1 23 45 67 89",
    },
    "lines": [
        {"sku": "SKU-0001", "name": "Wireless mouse", "quantity": 2, "unit_price": 24.99},
        {
            "sku": "SKU-0042",
            "name": "Mechanical keyboard, ISO layout",
            "quantity": 1,
            "unit_price": 119.0,
            "discount": 0.1,
        },
        {"sku": "SKU-0777", "name": "USB-C cable (2 m)", "quantity": 3, "unit_price": 9.95},
        {"sku": "SKU-1234", "name": "Laptop stand", "quantity": 1, "unit_price": 29.99, "discount": None},
    ],
    "billing": {
        "name": "Jane Doe",
        "street": "1 Avenue des Champs-Élysées",
        "city": "Paris",
        "postcode": "75008",
        "country": "FR",
    },
    "updated_at": "2024-05-02T08:00:00+02:00",
    "note": "Leave the parcel with the concierge if nobody answers.",
    "coupon": None,
    "gift": False,
}

# Documents both sides must reject (validation really runs on both).
INVALID = {
    "quantity below ge": ("lines", 0, "quantity", 0),
    "email below min_length": ("email", None, None, "ab"),
    "currency above max_length": ("currency", None, None, "EURO"),
    "country not matching pattern": ("shipping", None, "country", "fr"),
    "unknown enum value": ("status", None, None, "lost"),
    "bad datetime": ("created_at", None, None, "yesterday"),
    "bad UUID": ("reference", None, None, "not-a-uuid"),
    "empty lines (min_length)": ("lines", None, None, []),
    "int field given a str": ("id", None, None, "abc"),
}


def invalid_doc(path: tuple) -> bytes:
    doc = json.loads(json.dumps(ORDER))
    key, idx, sub, value = path
    if idx is None and sub is None:
        doc[key] = value
    elif idx is None:
        doc[key][sub] = value
    else:
        doc[key][idx][sub] = value
    return json.dumps(doc).encode()


def make_rows(Row: type) -> list:
    base = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
    statuses = list(Status)
    return [
        Row(
            id=i,
            name=f"Product {i}",
            email=f"user{i}@example.com",
            price=round(9.99 + i * 0.37, 2),
            in_stock=i % 3 != 0,
            tags=["new", f"cat-{i % 7}"] if i % 2 else ["sale"],
            status=statuses[i % len(statuses)],
            created_at=base + dt.timedelta(minutes=17 * i, microseconds=(i * 1009) % 1_000_000),
        )
        for i in range(1000)
    ]


# ----------------------------------------------------------------------------- equality checks


def plain(o: Any) -> Any:
    """A library-neutral view of a decoded value: Structs become (class name, {field: value}),
    scalars keep their exact type so 1 vs True or "x" vs UUID("x") would not compare equal."""
    fields = getattr(type(o), "__struct_fields__", None)
    if fields is not None:
        return (type(o).__name__, {f: plain(getattr(o, f)) for f in fields})
    if isinstance(o, enum.Enum):
        return ("enum", type(o).__name__, o.value)
    if isinstance(o, (list, tuple)):
        return [plain(x) for x in o]
    if isinstance(o, dict):
        return {plain(k): plain(v) for k, v in o.items()}
    if isinstance(o, dt.datetime):
        return ("datetime", o, o.utcoffset())
    return (type(o).__name__, o)


def check(msgspec: Any, ms: dict, bolt: dict) -> list[str]:
    import django_bolt.json as bj

    problems = []
    buf = json.dumps(ORDER, ensure_ascii=False).encode()
    a = msgspec.json.decode(buf, type=ms["Order"])
    b = bj.decode(buf, type=bolt["Order"])
    if plain(a) != plain(b):
        problems.append(f"decode: values differ\n  msgspec: {plain(a)}\n  bolt:    {plain(b)}")
    for what, path in INVALID.items():
        bad = invalid_doc(path)
        # The lambdas run within the iteration that made them.
        for side, fn in (
            ("msgspec", lambda: msgspec.json.decode(bad, type=ms["Order"])),  # noqa: B023
            ("bolt", lambda: bj.decode(bad, type=bolt["Order"])),  # noqa: B023
        ):
            try:
                fn()
            except (msgspec.ValidationError, bj.ValidationError):
                continue
            problems.append(f"decode: {side} accepted an invalid document ({what})")

    ra, rb = make_rows(ms["Row"]), make_rows(bolt["Row"])
    if plain(ra) != plain(rb):
        problems.append("encode: the two input lists differ")
    ea, eb = msgspec.json.encode(ra), bj.encode(rb)

    def parsed(raw: bytes) -> list:
        rows = json.loads(raw)
        for r in rows:  # RFC 3339 allows "Z" or "+00:00" for UTC: compare the instants
            r["created_at"] = dt.datetime.fromisoformat(r["created_at"])
        return rows

    pa, pb = parsed(ea), parsed(eb)
    if pa != pb:
        first = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x != y), None)
        if first is None:
            problems.append(f"encode: {len(pa)} rows from msgspec, {len(pb)} from bolt")
        else:
            problems.append(
                f"encode: JSON differs, first at row {first}\n"
                f"  msgspec: {json.loads(ea)[first]}\n  bolt:    {json.loads(eb)[first]}"
            )
    elif [list(r) for r in json.loads(ea)] != [list(r) for r in json.loads(eb)]:
        problems.append("encode: key order differs")
    return problems


# ----------------------------------------------------------------------------- timing


def calibrate(fn: Any, seconds: float, timer: Any) -> int:
    """Iterations for one timeit call of about `seconds`."""
    t = timeit.Timer(fn, timer=timer)
    n = 1
    while True:
        took = t.timeit(n)
        if took >= 0.02:
            return max(1, int(n * seconds / took))
        n *= 4 if took < 0.002 else 2


def measure(cases: dict[str, Any], rounds: int, seconds: float, timer: Any) -> dict[str, list[float]]:
    """Per-op seconds for each case, per round; the order alternates each round."""
    numbers = {name: calibrate(fn, seconds, timer) for name, fn in cases.items()}
    out: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            n = numbers[name]
            out[name].append(timeit.Timer(cases[name], timer=timer).timeit(n) / n)
    return out


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())  # other work on the box skews timings
    except OSError:
        load = "?"
    return (
        f"{platform.system()} {platform.machine()}, {cpu or 'cpu ?'}, nproc {usable} "
        f"(cpu_count {os.cpu_count()}), Python {platform.python_version()} "
        f"({platform.python_implementation()}), load average {load}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 short rounds (~3-5 s) instead of 7")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 7, --quick 5)")
    ap.add_argument("--seconds", type=float, help="time per timeit call (default 0.3, --quick 0.12)")
    ap.add_argument(
        "--timer",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu: this process's CPU time (default; time spent preempted by other work on "
        "the machine is not counted), wall: elapsed time",
    )
    args = ap.parse_args()
    rounds = args.rounds or (5 if args.quick else 7)
    seconds = args.seconds or (0.12 if args.quick else 0.3)

    msgspec, where = load_msgspec()
    import django_bolt
    import django_bolt.json as bj
    from django_bolt import Meta as BoltMeta
    from django_bolt import Struct as BoltStruct

    ms = make_models(msgspec.Struct, msgspec.Meta)
    bolt = make_models(BoltStruct, BoltMeta)

    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        rev, dirty = "", ""
    print(f"machine:     {machine()}")
    native = Path(django_bolt._native.__file__)
    built = dt.datetime.fromtimestamp(native.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    print(
        f"django_bolt: {Path(django_bolt.__file__).parent} (git {rev or '?'}{'+dirty' if dirty else ''}, "
        f"{native.name} built {built})"
    )
    print(f"msgspec:     {msgspec.__version__} from {where}")

    problems = check(msgspec, ms, bolt)
    if problems:
        print("\nEQUALITY CHECK FAILED (timings would not compare the same work):")
        for p in problems:
            print(" -", p)
        return 1
    buf = json.dumps(ORDER, ensure_ascii=False).encode()
    rows_ms, rows_bolt = make_rows(ms["Row"]), make_rows(bolt["Row"])
    out_len = len(bj.encode(rows_bolt))
    print(
        f"checked:     equal decoded values, {len(INVALID)} invalid documents rejected by both, "
        f"equal encoded JSON ({out_len} B)"
    )
    timer = time.process_time if args.timer == "cpu" else time.perf_counter
    print(
        f"timing:      {rounds} interleaved rounds x ~{seconds:g} s per case, "
        f"{'process CPU' if args.timer == 'cpu' else 'wall-clock'} time "
        f"(timeit, gc disabled while timing)\n"
    )

    ms_dec, ms_Order = msgspec.json.decode, ms["Order"]
    bolt_dec, bolt_Order = bj.decode, bolt["Order"]
    ms_enc, bolt_enc = msgspec.json.encode, bj.encode
    groups = [
        (
            "decode+validate",
            f"{len(buf)} B order -> 20-field Struct",
            DECODE_TARGET,
            {
                "bolt": lambda: bolt_dec(buf, type=bolt_Order),
                "msgspec": lambda: ms_dec(buf, type=ms_Order),
            },
        ),
        (
            "encode",
            "1000 x 8-field Struct -> JSON",
            ENCODE_TARGET,
            {
                "bolt": lambda: bolt_enc(rows_bolt),
                "msgspec": lambda: ms_enc(rows_ms),
            },
        ),
    ]
    gc.collect()
    results = []
    for name, what, target, cases in groups:
        per_op = measure(cases, rounds, seconds, timer)
        b, m = statistics.median(per_op["bolt"]), statistics.median(per_op["msgspec"])
        ratios = sorted(x / y for x, y in zip(per_op["bolt"], per_op["msgspec"]))
        results.append((name, what, b, m, b / m, ratios, target))

    head = (
        f"{'benchmark':<16} {'what':<34} {'bolt µs':>9} {'msgspec µs':>11} {'ratio':>6} "
        f"{'round ratios':>14} {'target':>7}  result"
    )
    print(head)
    print("-" * len(head))
    for name, what, b, m, ratio, ratios, target in results:
        verdict = "PASS" if ratio <= target else "FAIL"
        print(
            f"{name:<16} {what:<34} {b * 1e6:>9.2f} {m * 1e6:>11.2f} {ratio:>6.2f} "
            f"{ratios[0]:>6.2f}-{ratios[-1]:<7.2f} {'<= ' + format(target, 'g'):>7}  {verdict}"
        )
    print(
        "\nratio = median bolt time / median msgspec time (lower is better for bolt); "
        "round ratios = min-max of the per-round ratios"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
