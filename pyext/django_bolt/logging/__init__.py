"""django-bolt's ``django_bolt.logging`` import path for the request/response log settings.

>>> from django_bolt.logging import LoggingConfig
>>> api = BoltAPI(logging_config=LoggingConfig(skip_paths={"/health"}))

``LoggingConfig`` is this project's (``django_bolt.logconfig``): ``logger_name``, ``skip_paths``
and ``sample_rate`` are django-bolt's; its other fields differ (docs/compat.md).
"""

from __future__ import annotations

from ..logconfig import LoggingConfig

__all__ = ["LoggingConfig"]
