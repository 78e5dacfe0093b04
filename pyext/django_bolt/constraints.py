"""Value constraints: ``Meta`` and the tuple it becomes for Rust.

>>> from typing import Annotated
>>> from django_bolt import Meta
>>> Quantity = Annotated[int, Meta(ge=1, le=100)]

A leaf module: ``params`` (the markers are ``Meta`` subclasses) and ``schema`` (``Annotated``
in body types) both read constraints from here, so neither needs the other for them.

For Rust a set of constraints is one tuple in the order of ``NAMES``, ``None`` where not given
(src/params.rs reads it for path/query/header/cookie values, src/schema/plan.rs for typed
bodies); a value without constraints has ``None`` instead of the tuple.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Meta", "NAMES", "BOUNDS", "LENGTHS", "PATTERN", "merge"]

NAMES = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern")
BOUNDS = slice(0, 5)  # gt, ge, lt, le, multiple_of: numbers only
LENGTHS = slice(5, 7)  # min_length, max_length: characters of a str, items of a container
PATTERN = 7  # a regular expression searched in a str


def merge(first: tuple[Any, ...] | None, second: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    """Each constraint from ``first``, or from ``second`` where ``first`` has none."""
    if first is None or second is None:
        return first if second is None else second
    return tuple(a if a is not None else b for a, b in zip(first, second, strict=True))


class Meta:
    """Constraints for ``Annotated[T, Meta(...)]``: checked at run time, reported as 422s.

    ``gt``/``ge``/``lt``/``le``/``multiple_of`` for numbers, ``min_length``/``max_length`` for
    strings (characters) and lists (items), ``pattern`` (a regular expression searched in the
    string, as pydantic does).
    """

    _names = NAMES

    def __init__(
        self,
        *,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        multiple_of: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        description: str | None = None,
        example: Any = None,
    ) -> None:
        self.gt, self.ge, self.lt, self.le, self.multiple_of = gt, ge, lt, le, multiple_of
        self.min_length, self.max_length, self.pattern = min_length, max_length, pattern
        self.description, self.example = description, example
        if multiple_of is not None and multiple_of <= 0:
            raise ValueError("multiple_of must be positive")
        for n in ("min_length", "max_length"):
            v = getattr(self, n)
            if v is not None and (not isinstance(v, int) or v < 0):
                raise ValueError(f"{n} must be a non-negative int")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"invalid pattern {pattern!r}: {e}") from e

    def constraints(self) -> tuple[Any, ...] | None:
        """The tuple Rust checks (``NAMES`` order), or None when nothing is constrained."""
        values = tuple(getattr(self, n) for n in self._names)
        return values if any(v is not None for v in values) else None

    def merged(self, other: Meta | None) -> Meta:
        """A ``Meta`` with ``other``'s values, and this one's where ``other`` has none."""
        if other is None:
            return self
        m = Meta()
        for n in (*self._names, "description", "example"):
            setattr(m, n, getattr(other, n) if getattr(other, n) is not None else getattr(self, n))
        return m
