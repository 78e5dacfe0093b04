"""Fetches the docs pages' JavaScript and CSS from the npm registry into the package, offline after.

    .venv/bin/python scripts/docs_assets.py                    # fetch what is missing (idempotent)
    .venv/bin/python scripts/docs_assets.py --check            # exit 1 unless every asset is in place
    .venv/bin/python scripts/docs_assets.py --pin redoc=2.5.4  # move a pin (registry metadata -> lock)

What to fetch is ``pyext/django_bolt/openapi/assets.lock.json``: per UI, the npm package, its
version, tarball URL and sha512 ``integrity`` (as the registry's metadata gives it), and the few
files the page needs. Each tarball is checked against its integrity before anything is extracted;
then those files (and the package's LICENSE) land in ``openapi/assets/<name>/<version>/`` (git-
ignored), after the lock's ``patches`` (a string that must occur exactly once; today one: ReDoc's
logo image from Redocly's CDN), with a ``.gz`` beside each script and stylesheet for the static
server to send to clients that accept gzip. A directory already complete for its lock entry is
left alone; versions no longer pinned are removed. Nothing here runs at serve time: the pages
only reference ``{docs path}/assets/<name>/<version>/<file>``, never a CDN.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import shutil
import sys
import tarfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "pyext" / "django_bolt" / "openapi"
LOCK = OPENAPI / "assets.lock.json"
ASSETS = OPENAPI / "assets"
REGISTRY = "https://registry.npmjs.org"
#: Written last into a version's directory: it is complete, for this lock entry.
MARKER = ".lock-entry"
#: Files the static server may send gzip-encoded (it picks ``x.gz`` when the client accepts it).
COMPRESSED = (".js", ".css")
ATTEMPTS = 3


def load_lock() -> dict:
    return json.loads(LOCK.read_text(encoding="utf-8"))


def integrity_of(data: bytes) -> str:
    """The Subresource-Integrity string npm records: ``sha512-<base64 digest>``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def download(url: str) -> bytes:
    if not url.startswith(REGISTRY + "/"):
        raise SystemExit(f"{url}: only {REGISTRY} is trusted by this script")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(url, timeout=120) as resp:
                return resp.read()
        except OSError as e:
            if attempt == ATTEMPTS:
                raise SystemExit(f"cannot download {url}: {e}") from None
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")


def served_names(entry: dict) -> list[str]:
    """Every file a complete version directory holds."""
    names = [*entry["files"], "LICENSE"]
    names += [n + ".gz" for n in entry["files"] if n.endswith(COMPRESSED)]
    return names


def marker_text(entry: dict) -> str:
    """What the directory was made from: the tarball and the files taken from it."""
    return json.dumps({k: entry.get(k) for k in ("integrity", "files", "license", "patches")}, sort_keys=True) + "\n"


def is_complete(entry: dict, folder: Path) -> bool:
    marker = folder / MARKER
    return (
        marker.is_file()
        and marker.read_text(encoding="utf-8") == marker_text(entry)
        and all((folder / n).is_file() for n in served_names(entry))
    )


def apply_patch(name: str, served: str, body: bytes, patch: dict) -> bytes:
    """``patch["replace"]`` -> ``patch["with"]`` in ``body``; the string must occur exactly once,
    so a new version that moved or dropped it fails here instead of shipping unpatched."""
    old, new = patch["replace"].encode(), patch["with"].encode()
    count = body.count(old)
    if count != 1:
        raise SystemExit(f"{name}: patch of {served}: {patch['replace']!r} occurs {count} times, expected once")
    return body.replace(old, new)


def extract(name: str, entry: dict, data: bytes, dest: Path) -> None:
    """The entry's files (and LICENSE, and .gz siblings) from the tarball ``data`` into ``dest``."""
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}

        def read(member: str) -> bytes:
            if member not in members:
                raise SystemExit(f"{name} {entry['version']}: no {member} in the tarball")
            return tar.extractfile(members[member]).read()

        patches = entry.get("patches", [])
        for served, member in entry["files"].items():
            if "/" in served or served in ("LICENSE", MARKER):
                raise SystemExit(f"{name}: bad served name {served!r} in the lock")
            body = read(member)
            for patch in patches:
                if patch["file"] == served:
                    body = apply_patch(name, served, body, patch)
            (dest / served).write_bytes(body)
            if served.endswith(COMPRESSED):
                # mtime=0: the same bytes on every machine.
                (dest / (served + ".gz")).write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
        license_ = entry["license"]
        text = read(license_) if license_.startswith("package/") else (OPENAPI / license_).read_bytes()
        (dest / "LICENSE").write_bytes(text)
    (dest / MARKER).write_text(marker_text(entry), encoding="utf-8")


def fetch(name: str, entry: dict) -> bool:
    """Makes ``assets/<name>/<version>/`` complete; True when something was downloaded."""
    home = ASSETS / name
    folder = home / entry["version"]
    fetched = False
    if not is_complete(entry, folder):
        data = download(entry["tarball"])
        got = integrity_of(data)
        if got != entry["integrity"]:
            raise SystemExit(
                f"{name}: {entry['tarball']} has integrity {got}, the lock pins {entry['integrity']}: refusing it"
            )
        # Built beside, then renamed into place: an interrupted run never leaves a half directory
        # that looks complete.
        tmp = home / f".tmp-{entry['version']}"
        shutil.rmtree(tmp, ignore_errors=True)
        extract(name, entry, data, tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        fetched = True
    for other in home.iterdir():
        if other.name != entry["version"]:
            shutil.rmtree(other) if other.is_dir() else other.unlink()
    return fetched


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def pin(lock: dict, spec: str) -> None:
    """``name=version``: the lock entry takes that version's tarball and integrity from the registry."""
    name, _, version = spec.partition("=")
    entry = lock["assets"].get(name)
    if entry is None or not version:
        raise SystemExit(f"--pin {spec!r}: expected NAME=VERSION with NAME one of {', '.join(lock['assets'])}")
    meta = json.loads(download(f"{REGISTRY}/{urllib.parse.quote(entry['package'], safe='@')}/{version}"))
    entry["version"] = meta["version"]
    entry["tarball"] = meta["dist"]["tarball"]
    entry["integrity"] = meta["dist"]["integrity"]
    LOCK.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    print(f"{name}: pinned {entry['package']}@{entry['version']} ({entry['integrity'][:24]}...)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when something is missing")
    parser.add_argument("--pin", action="append", default=[], metavar="NAME=VERSION")
    args = parser.parse_args(argv)
    lock = load_lock()
    for spec in args.pin:
        pin(lock, spec)
    entries = lock["assets"]
    if args.check:
        missing = [n for n, e in entries.items() if not is_complete(e, ASSETS / n / e["version"])]
        for n in missing:
            print(f"missing: {n} {entries[n]['version']} (run scripts/docs_assets.py)", file=sys.stderr)
        return 1 if missing else 0
    ASSETS.mkdir(exist_ok=True)
    for other in ASSETS.iterdir():
        if other.name not in entries:
            shutil.rmtree(other) if other.is_dir() else other.unlink()
    fetched = [n for n, e in entries.items() if fetch(n, e)]
    if fetched:
        total = size_of(ASSETS)
        print(f"docs assets: fetched {', '.join(fetched)}; {total / 1e6:.1f} MB in {ASSETS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
