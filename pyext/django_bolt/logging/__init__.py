"""django-bolt's ``django_bolt.logging``: the request log's settings and its logging helper.

>>> from django_bolt.logging import LoggingConfig
>>> api = BoltAPI(logging_config=LoggingConfig(logger_name="myapp.api", sample_rate=0.1))

The server then writes one record per response to ``myapp.api`` (``GET /items 200``: INFO, or
WARNING for 4xx, ERROR for 5xx, which are never sampled away), and a handler's unhandled
exception once more there (``Exception in GET /items: ValueError: ...``, as django-bolt).
``LoggingMiddleware(config)`` and ``create_logging_middleware(...)`` write the same records from
your own code (``log_request``, ``log_response``, ``log_exception``). ``django_bolt.middleware.
LoggingMiddleware`` is the other, request-pipeline middleware of django-bolt's middleware API.
"""

from __future__ import annotations

from ..logconfig import LoggingConfig
from .middleware import LoggingMiddleware, create_logging_middleware

__all__ = ["LoggingConfig", "LoggingMiddleware", "create_logging_middleware"]
