"""django-bolt's ``django_bolt.datastructures`` import path for uploaded files.

>>> from django_bolt.datastructures import UploadFile

The class is ``django_bolt.uploads.UploadFile`` (docs/compat.md says where it differs).
"""

from __future__ import annotations

from .uploads import UploadFile

__all__ = ["UploadFile"]
