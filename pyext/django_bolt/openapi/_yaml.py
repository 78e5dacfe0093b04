"""A YAML emitter for JSON-shaped data (dict with str keys, list, str, int, float, bool, None).

>>> dump({"openapi": "3.1.0", "paths": {"/items/{id}": {"get": {"tags": []}}}})
'openapi: 3.1.0\\npaths:\\n  /items/{id}:\\n    get:\\n      tags: []\\n'

Why not PyYAML: its C extension cannot load in bolt's isolated sub-interpreters, and the pure
Python one would be a run-time dependency for one page. JSON data needs very little of YAML, and
the output is read back the same by YAML 1.1 (PyYAML) and YAML 1.2 parsers:

- Block mappings and sequences; ``{}`` and ``[]`` for empty ones.
- A string is plain only when no resolver of either version can read it as anything else (a
  letter, ``_`` or ``/`` first, then letters, digits and ``_./{}-``, and not a word like ``yes``,
  ``null`` or ``on``); a multi-line string that needs no escapes is a literal block (``|`` /
  ``|-``); anything else is double-quoted, escaping every character YAML does not allow raw
  (controls, ``\\x7f``-``\\x9f``, the Unicode line breaks, BOM, surrogates, U+FFFE/U+FFFF).
- Floats always carry a ``.`` (``1.0e+30``: YAML 1.1 reads ``1e+30`` as a string); non-finite
  floats are ``.inf``/``-.inf``/``.nan``.
- Keys longer than YAML's 1024-character limit for implicit keys use the explicit ``? key`` form.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["dump"]

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./{}-]*\Z")
# Words some YAML version reads as a bool or null (compared case-insensitively).
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf"}
_ESCAPES = {"\0": "\\0", "\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_MAX_IMPLICIT_KEY = 1000
_INDENT = "  "


def _raw_ok(ch: str) -> bool:
    """Whether ``ch`` may appear unescaped inside a double-quoted (or block) scalar."""
    o = ord(ch)
    if 0x20 <= o <= 0x7E:
        return True
    if o < 0xA0:
        return False  # C0 controls, DEL, C1 controls and U+0085 (a YAML line break)
    return o not in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF) and not 0xD800 <= o <= 0xDFFF


def _quoted(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _raw_ok(ch):
            out.append(ch)
        else:
            o = ord(ch)
            out.append(f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _scalar_str(s: str) -> str:
    if _PLAIN.match(s) and s.lower() not in _RESERVED:
        return s
    return _quoted(s)


def _literal_ok(s: str) -> bool:
    """A literal block keeps ``s`` exactly: it spans lines, has no characters needing escapes or
    that a block folds away (``\\r``, tabs), does not start with a space (that would need an
    indentation indicator) and ends with at most one newline (``|`` or ``|-`` chomping)."""
    return (
        "\n" in s.rstrip("\n")
        and not s.startswith((" ", "\n"))
        and not s.endswith("\n\n")
        and all(ch == "\n" or (_raw_ok(ch) and ch != "\t") for ch in s)
    )


def _float(x: float) -> str:
    if math.isnan(x):
        return ".nan"
    if math.isinf(x):
        return ".inf" if x > 0 else "-.inf"
    r = repr(x)
    mantissa, e, exp = r.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if e and exp[0] not in "+-":
        exp = "+" + exp
    return mantissa + (("e" + exp) if e else "")


def _inline(value: Any, path: str) -> str | None:
    """The value on the same line as its key or dash; None for a non-empty container."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _scalar_str(value)
    if isinstance(value, dict):
        return None if value else "{}"
    if isinstance(value, (list, tuple)):
        return None if value else "[]"
    raise TypeError(f"{path}: {type(value).__name__} is not JSON data")


def _after(value: Any, indent: str, path: str) -> str | None:
    """What follows ``key:`` or ``-`` on the line (with its newline, and a literal block's lines
    after it); None for a non-empty container, which goes on the lines below."""
    if isinstance(value, str) and _literal_ok(value):
        body = value[:-1] if value.endswith("\n") else value
        inner = indent + _INDENT
        lines = "".join(f"{inner}{line}\n" if line else "\n" for line in body.split("\n"))
        return (" |\n" if value.endswith("\n") else " |-\n") + lines
    inline = _inline(value, path)
    return None if inline is None else f" {inline}\n"


def _emit(value: Any, indent: str, out: list[str], path: str) -> None:
    """A non-empty container's lines, each starting with ``indent``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is not a str")
            where = f"{path}.{key}"
            k = _scalar_str(key)
            if len(k) > _MAX_IMPLICIT_KEY:
                out.append(f"{indent}? {_quoted(key)}\n")
                k = ""
            after = _after(item, indent, where)
            if after is not None:
                out.append(f"{indent}{k}:{after}")
            else:
                out.append(f"{indent}{k}:\n")
                _emit(item, indent + _INDENT, out, where)
    else:
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            after = _after(item, indent, where)
            if after is not None:
                out.append(f"{indent}-{after}")
            else:
                # The nested container's first line shares the dash's line.
                nested: list[str] = []
                _emit(item, indent + _INDENT, nested, where)
                nested[0] = f"{indent}- " + nested[0][len(indent) + len(_INDENT) :]
                out.extend(nested)


def dump(data: Any) -> str:
    """``data`` as a YAML document (a str ending in a newline)."""
    after = _after(data, "", "$")
    if after is not None:
        return after[1:]
    out: list[str] = []
    _emit(data, "", out, "$")
    return "".join(out)
