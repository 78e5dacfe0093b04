"""The ``BOLT_*`` settings a django-bolt 0.13 project sets, read with django-bolt's names and meaning.

>>> # settings.py
>>> BOLT_AUTHENTICATION_CLASSES = [JWTAuthentication()]
>>> BOLT_DEFAULT_PERMISSION_CLASSES = [IsAuthenticated()]

Every route without its own ``auth=``/``guards=`` (and whose ``BoltAPI`` sets none) gets these.
This project's older names, ``BOLT_AUTHENTICATION`` and ``BOLT_DEFAULT_GUARDS``, are aliases:
setting both names of a pair to different values is a start-up error, so a project is never
served with the defaults it did not mean.

``check_settings()`` runs once at start-up (``discovery.load_routes``): a django-bolt setting
this server cannot honour is refused there with a message saying what to do instead, rather
than silently dropped (``REFUSED``); one with no effect here (``NO_EFFECT``) is logged.
"""

from __future__ import annotations

import logging
import operator
from typing import Any

__all__ = [
    "default_authentication",
    "default_guards",
    "get_default_permission_classes",
    "check_settings",
    "max_upload_size",
    "memory_spool_threshold",
    "static_files_csp",
    "max_param_length",
    "max_age_header",
    "dev_force_polling",
    "asgi_mount_timeout",
    "REFUSED",
    "NO_EFFECT",
]

_log = logging.getLogger("django_bolt")

#: (django-bolt's name, this project's alias) for the project-wide defaults.
_AUTH = ("BOLT_AUTHENTICATION_CLASSES", "BOLT_AUTHENTICATION")
_GUARDS = ("BOLT_DEFAULT_PERMISSION_CLASSES", "BOLT_DEFAULT_GUARDS")

#: django-bolt settings this server cannot honour, and what to do instead. Setting one (to
#: anything but None) stops the start-up: each changes limits or security headers, so running
#: without it would serve the project differently from what it asked for.
REFUSED: dict[str, str] = {
    "BOLT_MAX_HEADER_SIZE": (
        "the request-head limit is fixed at 16 KiB here (larger heads get 431); remove the setting"
    ),
}

#: django-bolt settings that change nothing here, with why; a set one is logged at start-up.
NO_EFFECT: dict[str, str] = {
    "BOLT_LOG_QUEUE_SIZE": "request logs are written by the core that served the request; there is no queue to bound",
    "BOLT_WS_CHANNEL_SIZE": "a WebSocket's unsent data is bounded in bytes by BOLT_WS_SEND_BUFFER instead",
    "BOLT_MAX_SYNC_STREAMING_THREADS": "sync generators stream from each core's bounded pool (--blocking-threads)",
}


def _settings() -> Any:
    """Django's settings, or None when Django is not installed or not configured."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    return settings if settings.configured else None


def _same(a: Any, b: Any) -> bool:
    """Whether two setting values say the same thing (the same objects, or equal ones of the
    same class with the same attributes: two ``IsAuthenticated()``)."""
    if a is b or a == b:
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and hasattr(a, "__dict__") and _same(vars(a), vars(b))


def _pair(names: tuple[str, str]) -> list[Any]:
    settings = _settings()
    if settings is None:
        return []
    from django.core.exceptions import ImproperlyConfigured

    theirs, ours = names
    set_theirs, set_ours = hasattr(settings, theirs), hasattr(settings, ours)
    if set_theirs and set_ours and not _same(getattr(settings, theirs), getattr(settings, ours)):
        raise ImproperlyConfigured(
            f"{theirs} and {ours} are both set, to different values; they name the same default "
            f"({ours} is this project's older name). Keep {theirs} only."
        )
    value = getattr(settings, theirs if set_theirs else ours, None)
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ImproperlyConfigured(
            f"{theirs if set_theirs else ours} must be a list of instances "
            f"(for example [IsAuthenticated()]), got {value!r}"
        )
    items = list(value)
    for item in items:
        if isinstance(item, str):
            raise ImproperlyConfigured(
                f"{theirs if set_theirs else ours}: {item!r} is a string; give the object itself, as "
                f"django-bolt does (for example [IsAuthenticated()] or [JWTAuthentication()])"
            )
    return items


def default_authentication() -> list[Any]:
    """The authentication backends of routes that set none: ``BOLT_AUTHENTICATION_CLASSES``
    (alias ``BOLT_AUTHENTICATION``); ``[]`` when neither is set. Raises
    ``ImproperlyConfigured`` when both are set and differ."""
    return _pair(_AUTH)


def default_guards() -> list[Any]:
    """The guards of routes that set none: ``BOLT_DEFAULT_PERMISSION_CLASSES`` (alias
    ``BOLT_DEFAULT_GUARDS``); ``[]`` (anyone) when neither is set. Raises
    ``ImproperlyConfigured`` when both are set and differ."""
    return _pair(_GUARDS)


def get_default_permission_classes() -> list[Any]:
    """django-bolt's reading of the guards default: ``default_guards()``, or ``[AllowAny()]``
    when neither setting is set (the same meaning as no guards: anyone may call)."""
    settings = _settings()
    if settings is None or not any(hasattr(settings, n) for n in _GUARDS):
        from .auth.guards import AllowAny

        return [AllowAny()]
    return default_guards()


def _size(name: str, value: Any) -> int:
    from django.core.exceptions import ImproperlyConfigured

    if not isinstance(value, bool):
        try:
            size = operator.index(value)
        except TypeError:
            size = -1
        if size >= 0:
            return size
    raise ImproperlyConfigured(f"{name} must be an int of 0 or more, got {type(value).__name__} {value!r}")


def max_upload_size() -> int | None:
    """``BOLT_MAX_UPLOAD_SIZE``: the largest request body in bytes (413 above it), or None when
    unset (then ``--max-body`` applies, default 10 MiB; django-bolt's default is 1 MiB)."""
    settings = _settings()
    if settings is None or getattr(settings, "BOLT_MAX_UPLOAD_SIZE", None) is None:
        return None
    return _size("BOLT_MAX_UPLOAD_SIZE", settings.BOLT_MAX_UPLOAD_SIZE)


#: django-bolt's default for ``BOLT_MEMORY_SPOOL_THRESHOLD``: 1 MiB.
DEFAULT_MEMORY_SPOOL_THRESHOLD = 1024 * 1024


def memory_spool_threshold() -> int:
    """The largest multipart body, in bytes, whose files are kept in memory; the files of a
    larger one go to temporary files (``UploadFile.rolled_to_disk``). ``BOLT_MEMORY_SPOOL_THRESHOLD``
    when set (django-bolt's name: an int of 0 or more), else Django's
    ``FILE_UPLOAD_MAX_MEMORY_SIZE`` when the project sets it, else django-bolt's 1 MiB.

        BOLT_MEMORY_SPOOL_THRESHOLD = 4 * 1024 * 1024

    The whole body is measured, as Django's ``MemoryFileUploadHandler`` does (django-bolt
    measures each file). Raises ``ImproperlyConfigured`` for a value that is not a size."""
    settings = _settings()
    if settings is None:
        return DEFAULT_MEMORY_SPOOL_THRESHOLD
    value = getattr(settings, "BOLT_MEMORY_SPOOL_THRESHOLD", None)
    if value is not None:
        return _size("BOLT_MEMORY_SPOOL_THRESHOLD", value)
    # django-bolt reads only its own setting; a project that set Django's meant it for its
    # uploads, and those are parsed here by Django's own handlers.
    if settings.is_overridden("FILE_UPLOAD_MAX_MEMORY_SIZE"):
        return _size("FILE_UPLOAD_MAX_MEMORY_SIZE", settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    return DEFAULT_MEMORY_SPOOL_THRESHOLD


#: Django's settings for ``Content-Security-Policy`` and ``Content-Security-Policy-Report-Only``.
_CSP_SETTINGS = ("SECURE_CSP", "SECURE_CSP_REPORT_ONLY")


def static_files_csp() -> tuple[str | None, str | None]:
    """The ``Content-Security-Policy`` and ``Content-Security-Policy-Report-Only`` values sent
    with every static and media file served here (200, 206, 304, 416): ``SECURE_CSP`` and
    ``SECURE_CSP_REPORT_ONLY`` built by Django's ``django.utils.csp.build_policy``, as
    django-bolt sends the first. A file is no page that could carry a nonce, so ``CSP.NONCE``
    sources are left out. None for a setting that is unset, empty or gives no directive.

        SECURE_CSP = {"default-src": [CSP.SELF]}    # files: Content-Security-Policy: default-src 'self'

    Raises ``ImproperlyConfigured`` when a setting is not a dict or Django cannot build it, and
    on Django before 6.0 (no ``django.utils.csp``) when one is set while this server serves the
    files."""
    from django.core.exceptions import ImproperlyConfigured

    settings = _settings()
    if settings is None:
        return None, None
    configs = [(name, getattr(settings, name, None)) for name in _CSP_SETTINGS]
    if all(config is None for _, config in configs):
        return None, None
    try:
        from django.utils.csp import build_policy
    except ImportError:
        # Django 5.2: the settings mean nothing to Django itself, so they only matter for the
        # files this server would send.
        if not any(config for _, config in configs) or not _serves_files(settings):
            return None, None
        import django

        raise ImproperlyConfigured(
            f"SECURE_CSP is set, but Django {django.get_version()} has no django.utils.csp "
            "(Django 6.0+) to build the policy this server sends with static and media files. "
            "Upgrade Django, or serve the files elsewhere with BOLT_STATIC = False."
        ) from None
    from collections.abc import Mapping

    policies: list[str | None] = []
    for name, config in configs:
        if config is None:
            policies.append(None)
            continue
        if not isinstance(config, Mapping):
            raise ImproperlyConfigured(f"{name} must be a dict, got {type(config).__name__} {config!r}")
        try:
            policy = build_policy(config)
        except (TypeError, ValueError) as e:
            raise ImproperlyConfigured(f"{name} is not valid: {e}") from e
        # RFC 9110 §5.5: visible ASCII, space and tab; a CR or LF would split the response.
        if not all(c == "\t" or " " <= c <= "~" for c in policy):
            raise ImproperlyConfigured(f"{name} is not valid: {policy!r} cannot be sent as a header value")
        policies.append(policy or None)
    return policies[0], policies[1]


#: django-bolt's cap on one parameter value, in bytes, and the largest the variable may set.
DEFAULT_MAX_PARAM_LENGTH = 8192
MAX_PARAM_LENGTH_CEILING = 1024 * 1024


def max_param_length() -> int:
    """The longest value a path, query, header, cookie or form parameter may have, in bytes: the
    environment variable ``DJANGO_BOLT_MAX_PARAM_LENGTH`` (as django-bolt reads it: an int from 1
    to 1048576), else 8192. A longer value is refused with 422 before it is parsed.

        DJANGO_BOLT_MAX_PARAM_LENGTH=65536 bolt --cores all

    Raises ``ImproperlyConfigured`` for any other value (an empty one counts as unset)."""
    import os

    raw = os.environ.get("DJANGO_BOLT_MAX_PARAM_LENGTH", "").strip()
    if not raw:
        return DEFAULT_MAX_PARAM_LENGTH
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_PARAM_LENGTH_CEILING:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"DJANGO_BOLT_MAX_PARAM_LENGTH must be an int from 1 to {MAX_PARAM_LENGTH_CEILING}, got {raw!r}"
        )
    return n


#: django-bolt's default for ``BOLT_ASGI_MOUNT_TIMEOUT``, in seconds.
DEFAULT_ASGI_MOUNT_TIMEOUT = 30.0


def asgi_mount_timeout() -> float:
    """How long a mounted ASGI app (``api.mount_asgi``) may take to send ``http.response.start``
    before its client gets 504: ``settings.BOLT_ASGI_MOUNT_TIMEOUT`` (seconds, django-bolt's
    name and meaning), else 30. The body that follows has no time limit.

        BOLT_ASGI_MOUNT_TIMEOUT = 5

    Raises ``ImproperlyConfigured`` for anything but a number above 0."""
    settings = _settings()
    value = getattr(settings, "BOLT_ASGI_MOUNT_TIMEOUT", None) if settings is not None else None
    if value is None:
        return DEFAULT_ASGI_MOUNT_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"BOLT_ASGI_MOUNT_TIMEOUT must be a number of seconds above 0, got {value!r}")
    return float(value)


def max_age_header(name: str, visibility: str) -> str | None:
    """``Cache-Control`` for ``BOLT_STATIC_MAX_AGE`` (``public``) or ``BOLT_MEDIA_MAX_AGE``
    (``private``), as django-bolt sends it; None when the setting is unset or None."""
    settings = _settings()
    if settings is None or getattr(settings, name, None) is None:
        return None
    return f"{visibility}, max-age={_size(name, getattr(settings, name))}"


def dev_force_polling() -> bool:
    """``BOLT_DEV_FORCE_POLLING``: ``--dev`` watches files by polling instead of inotify."""
    settings = _settings()
    return bool(settings is not None and getattr(settings, "BOLT_DEV_FORCE_POLLING", False))


def _serves_files(settings: Any) -> bool:
    """Whether this server would send the project's static or media files itself (as
    ``_worker._static_mounts`` decides): ``BOLT_STATIC`` on, and a STATIC_ROOT or MEDIA_ROOT set,
    or DEBUG with ``django.contrib.staticfiles`` (its finders' folders)."""
    if not getattr(settings, "BOLT_STATIC", True):
        return False
    if getattr(settings, "STATIC_ROOT", None) or getattr(settings, "MEDIA_ROOT", None):
        return True
    return bool(settings.DEBUG and "django.contrib.staticfiles" in settings.INSTALLED_APPS)


def check_settings() -> None:
    """Start-up check of the django-bolt settings: raises ``ImproperlyConfigured`` for a refused
    or malformed one, logs a warning for one that has no effect here."""
    from django.core.exceptions import ImproperlyConfigured

    settings = _settings()
    if settings is None:
        return
    default_authentication()
    default_guards()
    max_upload_size()
    max_param_length()
    asgi_mount_timeout()
    max_age_header("BOLT_STATIC_MAX_AGE", "public")
    max_age_header("BOLT_MEDIA_MAX_AGE", "private")
    for name, why in REFUSED.items():
        if getattr(settings, name, None) is not None:
            raise ImproperlyConfigured(f"{name} is not supported by this server: {why}.")
    memory_spool_threshold()
    static_files_csp()
    for name, why in NO_EFFECT.items():
        if getattr(settings, name, None) is not None:
            _log.warning("%s has no effect on this server: %s", name, why)
