"""Form fields and uploaded files.

>>> @api.post("/docs")
... def upload(title: str = Form(), doc: UploadFile = File(), tags: list[str] = Form([])) -> dict:
...     return {"title": title, "name": doc.filename, "size": doc.size}

URL-encoded forms are parsed in Rust; multipart bodies by Django's own ``MultiPartParser`` (files
past ``FILE_UPLOAD_MAX_MEMORY_SIZE`` go to a temporary file). More than ``BOLT_MAX_UPLOAD_FILES``
files (default 100) or a body over ``--max-body`` is a 413.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["UploadFile", "parse_multipart", "TooManyFiles"]


class TooManyFiles(Exception):
    """More files than BOLT_MAX_UPLOAD_FILES in one request."""


class UploadFile:
    """An uploaded file: ``filename``, ``content_type``, ``size``, and ``read()``/``file``."""

    __slots__ = ("filename", "content_type", "size", "file", "_upload")

    def __init__(self, upload: Any) -> None:
        self._upload = upload
        self.filename: str = upload.name
        self.content_type: str = upload.content_type
        self.size: int = upload.size
        self.file = upload.file

    def read(self, size: int = -1) -> bytes:
        return self._upload.read(size)

    def seek(self, offset: int) -> int:
        return self._upload.seek(offset)

    async def aread(self, size: int = -1) -> bytes:
        return self.read(size)

    def close(self) -> None:
        self._upload.close()

    def __repr__(self) -> str:
        return f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, size={self.size})"


def parse_multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], dict[str, list[UploadFile]]]:
    """(form fields, files by field name) from a multipart/form-data body, via Django."""
    from django.conf import settings
    from django.core.files.uploadhandler import load_handler
    from django.http.multipartparser import MultiPartParser

    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    handlers = [load_handler(h) for h in settings.FILE_UPLOAD_HANDLERS]
    fields, files = MultiPartParser(meta, io.BytesIO(body), handlers, "utf-8").parse()
    limit = int(getattr(settings, "BOLT_MAX_UPLOAD_FILES", 100))
    count = sum(len(files.getlist(k)) for k in files)
    if count > limit:
        raise TooManyFiles(f"{count} files in one request (BOLT_MAX_UPLOAD_FILES is {limit})")
    pairs = [(k, v) for k in fields for v in fields.getlist(k)]
    return pairs, {k: [UploadFile(f) for f in files.getlist(k)] for k in files}
