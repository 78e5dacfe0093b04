"""``django_bolt.logging.config``: django-bolt 0.13's module of the logging settings.

>>> from django_bolt.logging.config import LoggingConfig, get_default_logging_config
>>> config = get_default_logging_config()  # DEBUG: every request; else slow ones (250 ms)

``LoggingConfig`` is ``django_bolt.logconfig.LoggingConfig``. ``setup_django_logging()`` is
accepted and changes nothing: bolt sets logging up once at start-up (Django's ``LOGGING``, then
``--log-level``), and each core writes its own request records, so there is no queue to start.
"""

from __future__ import annotations

import logging
from typing import Any

from ..logconfig import LoggingConfig

__all__ = ["LoggingConfig", "get_default_logging_config", "setup_django_logging"]


def _setting(name: str) -> Any:
    try:
        from django.conf import settings

        return getattr(settings, name, None) if settings.configured else None
    except ImportError:
        return None


def get_default_logging_config() -> LoggingConfig:
    """The configuration ``create_logging_middleware()`` starts from, as django-bolt's.

    With ``DEBUG`` every response is logged; without it only successful responses slower than
    250 ms (errors always). ``DJANGO_BOLT_LOG_LEVEL``, ``DJANGO_BOLT_LOG_SAMPLE`` (0 to 1) and
    ``DJANGO_BOLT_LOG_SLOW_MS`` in settings override the level, sampling and threshold. A value
    that is not one of those is refused with a ``ValueError`` naming the setting (django-bolt
    ignores it).
    """
    debug = bool(_setting("DEBUG"))
    level = _setting("DJANGO_BOLT_LOG_LEVEL")
    sample = _setting("DJANGO_BOLT_LOG_SAMPLE")
    slow = _setting("DJANGO_BOLT_LOG_SLOW_MS")
    log_level = str(level).upper() if level else ("DEBUG" if debug else "WARNING")
    if not isinstance(logging.getLevelName(log_level), int):
        raise ValueError(f"DJANGO_BOLT_LOG_LEVEL must name a logging level, got {level!r}")
    sample_rate = None
    if sample is not None:
        try:
            sample_rate = float(sample)
        except (TypeError, ValueError):
            sample_rate = -1.0
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"DJANGO_BOLT_LOG_SAMPLE must be a number from 0 to 1, got {sample!r}")
    if slow is not None:
        try:
            min_duration_ms: int | None = int(slow)
        except (TypeError, ValueError):
            raise ValueError(f"DJANGO_BOLT_LOG_SLOW_MS must be a number of milliseconds, got {slow!r}") from None
        min_duration_ms = max(0, min_duration_ms)
    else:
        min_duration_ms = None if debug else 250
    return LoggingConfig(log_level=log_level, sample_rate=sample_rate, min_duration_ms=min_duration_ms)


def setup_django_logging(force: bool = False) -> None:
    """Accepted for django-bolt's code; changes nothing here (see the module docstring).

    A project's ``LOGGING`` is applied by Django at start-up and ``--log-level`` then sets
    bolt's loggers; no handler is replaced, with or without ``force``.
    """
