"""django-bolt's ``MediaType`` and ``FileSize`` enums.

>>> from django_bolt import FileSize, MediaType
>>> MediaType.JSON == "application/json", FileSize.MB_5 == 5 * 1024 * 1024
(True, True)
"""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = ["MediaType", "FileSize"]


class MediaType(str, Enum):  # noqa: UP042 - StrEnum is 3.11+, see below
    """Common ``Content-Type`` values (each is its string, as a ``StrEnum``; not one because this
    module must import on Pythons older than 3.11, so that ``bolt`` can say which it needs)."""

    __str__ = str.__str__
    __format__ = str.__format__  # type: ignore[assignment]

    JSON = "application/json"
    HTML = "text/html"
    TEXT = "text/plain"
    CSS = "text/css"
    XML = "application/xml"
    MESSAGEPACK = "application/vnd.msgpack"


_MIB = 1024 * 1024


class FileSize(IntEnum):
    """Upload size limits in bytes, binary units (``MB_1`` is 1 MiB), for ``File(max_size=...)``."""

    MB_1 = 1 * _MIB
    MB_2 = 2 * _MIB
    MB_3 = 3 * _MIB
    MB_4 = 4 * _MIB
    MB_5 = 5 * _MIB
    MB_6 = 6 * _MIB
    MB_7 = 7 * _MIB
    MB_8 = 8 * _MIB
    MB_9 = 9 * _MIB
    MB_10 = 10 * _MIB
    MB_20 = 20 * _MIB
    MB_30 = 30 * _MIB
    MB_40 = 40 * _MIB
    MB_50 = 50 * _MIB
    MB_60 = 60 * _MIB
    MB_70 = 70 * _MIB
    MB_80 = 80 * _MIB
    MB_90 = 90 * _MIB
    MB_100 = 100 * _MIB
