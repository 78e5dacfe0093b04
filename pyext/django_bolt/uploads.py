"""Form fields and uploaded files.

>>> @api.post("/docs")
... def upload(title: str = Form(), doc: UploadFile = File(), tags: list[str] = Form([])) -> dict:
...     return {"title": title, "name": doc.filename, "size": doc.size}

URL-encoded forms are parsed in Rust; multipart bodies by Django's own ``MultiPartParser`` (the
files of a body past ``BOLT_MEMORY_SPOOL_THRESHOLD``, else ``FILE_UPLOAD_MAX_MEMORY_SIZE`` when
set, else 1 MiB, go to temporary files). More than ``BOLT_MAX_UPLOAD_FILES``
files (default 100) or a body over ``--max-body`` is a 413.
"""

from __future__ import annotations

import functools
import inspect
import io
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .params import File

__all__ = ["UploadFile", "parse_multipart", "TooManyFiles", "with_file_checks"]


class TooManyFiles(Exception):
    """More files than BOLT_MAX_UPLOAD_FILES in one request."""


class _Bytes(bytes):
    """Bytes that may also be awaited (to themselves): ``read()`` works as django-bolt's
    ``await file.read()`` and as a plain ``file.read()``."""

    def __await__(self) -> Any:
        return self
        yield  # noqa: B901 - makes this a generator: awaiting it finishes at once


class _Int(int):
    """An int that may also be awaited (``await file.seek(0)``), as :class:`_Bytes`."""

    def __await__(self) -> Any:
        return self
        yield  # noqa: B901


class _Done:
    """What ``close()`` returns: nothing, but awaitable (``await file.close()``)."""

    __slots__ = ()

    def __await__(self) -> Any:
        return None
        yield  # noqa: B901


class UploadFile:
    """An uploaded file: ``filename``, ``content_type``, ``size``, ``headers``, ``file`` (a Django
    ``File``, for ``FileField.save``), ``raw_file`` and ``rolled_to_disk``.

    ``read()``, ``seek()``, ``write()`` and ``close()`` work both ways: awaited, as in
    django-bolt (``data = await doc.read()``), or called plainly (``data = doc.read()``). They
    run at once either way (a file of a body past ``conf.memory_spool_threshold()`` is read
    from its temporary file on the calling thread).
    """

    __slots__ = ("filename", "content_type", "size", "headers", "_upload")

    def __init__(self, upload: Any) -> None:
        self._upload = upload
        self.filename: str = upload.name
        self.content_type: str = upload.content_type
        self.size: int = upload.size
        #: The part's headers Django's parser keeps: its content type (with any parameters
        #: besides the charset, such as ``content_type_extra``).
        headers = {"content-type": upload.content_type or "application/octet-stream"}
        charset = getattr(upload, "charset", None)
        if charset:
            headers["content-type"] += f"; charset={charset}"
        self.headers: dict[str, str] = headers

    @property
    def file(self) -> Any:
        """The upload as a Django ``File`` (``profile.avatar.save(doc.filename, doc.file)``)."""
        return self._upload

    @property
    def raw_file(self) -> Any:
        """The underlying file object (a ``BytesIO`` or a named temporary file)."""
        return self._upload.file

    @property
    def rolled_to_disk(self) -> bool:
        """Whether the upload went to a temporary file (its body was past
        ``conf.memory_spool_threshold()``)."""
        return hasattr(self._upload, "temporary_file_path")

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all by default); may be awaited."""
        return _Bytes(self._upload.read(size))

    def seek(self, offset: int, whence: int = 0) -> int:
        """Moves to ``offset``; returns the new position; may be awaited."""
        return _Int(self._upload.file.seek(offset, whence))

    def write(self, data: bytes) -> int:
        """Writes ``data`` at the current position; returns its length; may be awaited."""
        return _Int(self._upload.file.write(data))

    async def aread(self, size: int = -1) -> bytes:
        return self.read(size)

    def close(self) -> Any:
        """Closes the file; may be awaited."""
        self._upload.close()
        return _Done()

    def close_sync(self) -> None:
        """django-bolt's name for a plain ``close()``."""
        self._upload.close()

    def __repr__(self) -> str:
        rolled = " (rolled to disk)" if self.rolled_to_disk else ""
        return f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, size={self.size}{rolled})"


def parse_multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], dict[str, list[UploadFile]]]:
    """(form fields, files by field name) from a multipart/form-data body, via Django. The
    files stay in memory when the body is at most ``conf.memory_spool_threshold()`` bytes."""
    from django.conf import settings
    from django.core.files.uploadhandler import MemoryFileUploadHandler, load_handler
    from django.http.multipartparser import MultiPartParser

    from .conf import memory_spool_threshold

    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    handlers = [load_handler(h) for h in settings.FILE_UPLOAD_HANDLERS]
    # Django's memory handler compares with FILE_UPLOAD_MAX_MEMORY_SIZE; the threshold here may
    # be BOLT_MEMORY_SPOOL_THRESHOLD. Deciding on the handler instance (new for each request)
    # keeps a project's own subclass and never touches the settings other threads read.
    in_memory = len(body) <= memory_spool_threshold()
    for handler in handlers:
        if isinstance(handler, MemoryFileUploadHandler):
            handler.handle_raw_input = _activated(handler, in_memory)
    fields, files = MultiPartParser(meta, io.BytesIO(body), handlers, "utf-8").parse()
    limit = int(getattr(settings, "BOLT_MAX_UPLOAD_FILES", 100))
    count = sum(len(files.getlist(k)) for k in files)
    if count > limit:
        raise TooManyFiles(f"{count} files in one request (BOLT_MAX_UPLOAD_FILES is {limit})")
    pairs = [(k, v) for k in fields for v in fields.getlist(k)]
    return pairs, {k: [UploadFile(f) for f in files.getlist(k)] for k in files}


def _activated(handler: Any, in_memory: bool) -> Callable[..., Any]:
    """``handler.handle_raw_input``, then ``in_memory`` as its decision."""
    original = handler.handle_raw_input

    def handle_raw_input(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        handler.activated = in_memory
        return result

    return handle_raw_input


def _type_allowed(content_type: str, allowed: tuple[str, ...]) -> bool:
    mime = (content_type or "").split(";")[0].strip().lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern in ("*", "*/*") or pattern == mime:
            return True
        if pattern.endswith("/*") and mime.startswith(pattern[:-1]):
            return True
    return False


def _issue(kind: str, field: str, msg: str, value: Any, **ctx: Any) -> dict[str, Any]:
    return {"type": kind, "loc": ["body", field], "msg": msg, "input": value, "ctx": ctx}


def upload_issues(field: str, value: Any, marker: File) -> list[dict[str, Any]]:
    """What is wrong with ``value`` (an ``UploadFile``, a list of them, or a default) under
    ``marker``'s checks, as 422 entries in django-bolt's terms."""
    files = value if isinstance(value, list) else [value]
    files = [f for f in files if isinstance(f, UploadFile)]
    issues = []
    if marker.max_files is not None and len(files) > marker.max_files:
        issues.append(
            _issue(
                "file_too_many",
                field,
                "Too many files uploaded",
                len(files),
                max_files=marker.max_files,
                actual_count=len(files),
            )
        )
    for f in files:
        size = f.size
        if marker.max_size is not None and size > marker.max_size:
            issues.append(
                _issue(
                    "file_too_large",
                    field,
                    f"File exceeds maximum size of {marker.max_size} bytes",
                    f.filename,
                    max_size=marker.max_size,
                    actual_size=size,
                )
            )
        elif marker.min_size is not None and size < marker.min_size:
            issues.append(
                _issue(
                    "file_too_small",
                    field,
                    f"File is below minimum size of {marker.min_size} bytes",
                    f.filename,
                    min_size=marker.min_size,
                    actual_size=size,
                )
            )
        elif marker.allowed_types is not None and not _type_allowed(f.content_type, marker.allowed_types):
            issues.append(
                _issue(
                    "file_invalid_content_type",
                    field,
                    f"Invalid content type '{f.content_type}'",
                    f.filename,
                    allowed_types=list(marker.allowed_types),
                    actual_type=f.content_type,
                )
            )
    return issues


def with_file_checks(endpoint: Callable[..., Any], checks: list[tuple[str, str, File]]) -> Callable[..., Any]:
    """``endpoint`` that first checks its uploads against ``checks`` (``params.file_checks``):
    a 422 listing every failed file, before the handler runs. Sync stays sync."""
    from .exceptions import RequestValidationError

    def check(kw: dict[str, Any]) -> None:
        issues = []
        for name, field, marker in checks:
            if name in kw:
                issues.extend(upload_issues(field, kw[name], marker))
        if issues:
            raise RequestValidationError(issues)

    return _before_call(endpoint, check)


def _before_call(endpoint: Callable[..., Any], prepare: Callable[[dict[str, Any]], None]) -> Callable[..., Any]:
    """``endpoint`` with ``prepare(kw)`` run on its keyword arguments first. Sync stays sync."""
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def prepared_async(**kw: Any) -> Any:
            prepare(kw)
            return await endpoint(**kw)

        return prepared_async

    @functools.wraps(endpoint)
    def prepared(**kw: Any) -> Any:
        prepare(kw)
        return endpoint(**kw)

    return prepared


def file_info(upload: UploadFile) -> dict[str, Any]:
    """An upload as django-bolt's dict form: ``filename``, ``content_type``, ``size``,
    ``headers``, and ``content`` (bytes) or, for a file spooled to disk, ``temp_path``."""
    info: dict[str, Any] = {
        "filename": upload.filename,
        "content_type": upload.content_type,
        "size": upload.size,
        "headers": dict(upload.headers),
    }
    if upload.rolled_to_disk:
        info["temp_path"] = upload.file.temporary_file_path()
    else:
        upload.file.seek(0)
        info["content"] = upload.file.read()
    return info


def with_file_infos(endpoint: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    """``endpoint`` whose ``File()`` parameters ``names`` (typed ``dict`` / ``list[dict]``) get
    each upload as :func:`file_info`'s dict. Sync stays sync."""

    def convert(kw: dict[str, Any]) -> None:
        for name in names:
            value = kw.get(name)
            if isinstance(value, UploadFile):
                kw[name] = file_info(value)
            elif isinstance(value, list):
                kw[name] = [file_info(v) if isinstance(v, UploadFile) else v for v in value]

    return _before_call(endpoint, convert)
