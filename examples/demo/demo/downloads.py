"""FileResponse: files sent by Rust from disk, only from ``BOLT_ALLOWED_FILE_PATHS`` (the demo
allows its ``files`` folder)."""

from __future__ import annotations

from django.conf import settings

from django_bolt import BoltAPI, FileResponse

downloads = BoltAPI(prefix="/downloads")


@downloads.get("/hello")
def hello(download: bool = False) -> FileResponse:
    """files/hello.txt, shown in the browser, or saved under a non-ASCII name."""
    return FileResponse(
        settings.BASE_DIR / "files" / "hello.txt",
        filename="démo-hello.txt",
        content_disposition_type="attachment" if download else "inline",
    )
