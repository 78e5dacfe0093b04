"""Finding the Django project, setting it up, and collecting its ``BoltAPI`` objects.

Start-up errors here are ``StartupError`` with one clear message; the CLI prints it and exits 1.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import traceback
from pathlib import Path

from .api import BoltAPI, Route, merge_routes
from .openapi.routes import docs_routes

__all__ = ["StartupError", "find_settings", "setup_django", "discover_apis", "load_routes", "apply_log_level"]


class StartupError(Exception):
    """A problem that stops the server from starting; the message says what and where."""


_SETTINGS_RE = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")


def find_settings(explicit: str | None, cwd: str | None = None) -> tuple[str, Path | None]:
    """The settings module and the project root (the folder of ``manage.py``).

    Order: ``--settings``, then ``DJANGO_SETTINGS_MODULE``, then ``manage.py`` found in the
    current folder or one of its parents.
    """
    here = Path(cwd or os.getcwd()).resolve()
    root = None
    for d in (here, *here.parents):
        if (d / "manage.py").is_file():
            root = d
            break
    name = explicit or os.environ.get("DJANGO_SETTINGS_MODULE")
    if not name and root is not None:
        m = _SETTINGS_RE.search((root / "manage.py").read_text(encoding="utf-8", errors="replace"))
        if m:
            name = m.group(1)
    if not name:
        raise StartupError(
            f"no Django settings found: pass --settings, set DJANGO_SETTINGS_MODULE, or run bolt inside a "
            f"project with a manage.py (looked in {here} and its parents)"
        )
    return name, root


def setup_django(settings_module: str) -> None:
    """``django.setup()`` with errors turned into messages that name the setting and file."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") != settings_module:
        # Only the main interpreter gets here with a different value: the environment is
        # process-wide and workers must not change it (DESIGN.md §3 rule 6).
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    try:
        import django
    except ImportError as e:
        raise StartupError(f"Django is not installed in this Python ({sys.executable}): {e}") from e
    try:
        spec = importlib.util.find_spec(settings_module)
    except (ImportError, ValueError) as e:
        spec = None
        if not isinstance(e, ModuleNotFoundError):
            raise StartupError(
                f"settings module {settings_module!r} failed to import:\n{traceback.format_exc()}"
            ) from e
    if spec is None:
        raise StartupError(
            f"settings module {settings_module!r} not found on sys.path "
            f"(cwd {os.getcwd()}); check --settings or DJANGO_SETTINGS_MODULE"
        )
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as e:
        raise StartupError(f"broken settings in {spec.origin}: {e}") from e
    except Exception as e:
        tb = traceback.format_exc()
        raise StartupError(f"settings {settings_module!r} ({spec.origin}) failed during django.setup():\n{tb}") from e


def _api_module_candidates() -> list[str]:
    from django.apps import apps
    from django.conf import settings

    names: list[str] = []
    urlconf = getattr(settings, "ROOT_URLCONF", None)
    if urlconf and "." in urlconf:
        names.append(urlconf.rsplit(".", 1)[0] + ".api")
    elif urlconf:
        names.append("api")
    for cfg in apps.get_app_configs():
        if cfg.name.startswith("django.") or cfg.name == "django_bolt":
            continue
        names.append(cfg.name + ".api")
    return list(dict.fromkeys(names))


def discover_apis() -> list[BoltAPI]:
    """``settings.BOLT_API`` (``["module:attr", ...]``) or every ``api.py`` of the project."""
    from django.conf import settings

    refs = getattr(settings, "BOLT_API", None)
    apis: list[BoltAPI] = []
    if refs:
        if isinstance(refs, str):
            refs = [refs]
        for ref in refs:
            mod_name, _, attr = ref.partition(":")
            mod = _import(mod_name)
            obj = getattr(mod, attr or "api", None)
            if not isinstance(obj, BoltAPI):
                raise StartupError(
                    f"BOLT_API entry {ref!r}: {mod_name}.{attr or 'api'} is not a BoltAPI (got {type(obj).__name__})"
                )
            apis.append(obj)
        return apis
    looked = []
    for name in _api_module_candidates():
        looked.append(name)
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            continue
        mod = _import(name)
        # An API mounted into another is served there, under its mount path, not by itself.
        apis.extend(
            v for v in vars(mod).values() if isinstance(v, BoltAPI) and v.mounted_into is None and v not in apis
        )
    if not apis:
        raise StartupError(
            "no BoltAPI found: looked for a BoltAPI object in "
            + ", ".join(looked)
            + " (or set BOLT_API = ['module:attr'] in settings)"
        )
    return apis


def _import(name: str):
    try:
        return importlib.import_module(name)
    except Exception:
        raise StartupError(f"API module {name!r} failed to import:\n{traceback.format_exc()}") from None


def apply_log_level(level: int) -> None:
    """``--log-level`` for bolt's and the root logger, in this interpreter.

    At INFO or below the access log (``django_bolt.access``) and ``django_bolt.request`` (a
    LoggingConfig's logger when it names that one; its default is django-bolt's ``django.server``,
    which Django's LOGGING sets) are on; when the project's LOGGING gives them no handler they
    write to stderr. Above INFO they are off and Rust skips them entirely (errors and slow
    requests still reach ``django_bolt.request`` at WARNING/ERROR).
    """
    import logging

    logging.getLogger().setLevel(level)
    logging.getLogger("django_bolt").setLevel(level)
    for name in ("django_bolt.access", "django_bolt.request"):
        lg = logging.getLogger(name)
        if level <= logging.INFO and not lg.handlers:
            h = logging.StreamHandler(sys.stderr)
            h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s " + name + ": %(message)s"))
            lg.addHandler(h)
            lg.propagate = False
            DEFAULT_HANDLERS[name] = (h, h.formatter)
        lg.setLevel(level)


#: The stderr handler (and its formatter) ``apply_log_level`` gave a logger. While the access
#: log still has exactly that one, Rust writes its lines itself (``_worker._access_is_default``).
DEFAULT_HANDLERS: dict[str, tuple[object, object]] = {}


def load_routes(settings_module: str) -> list[Route]:
    """Sets Django up and returns the merged, checked routes of every API in the project."""
    setup_django(settings_module)
    try:
        from .conf import check_settings

        check_settings()  # django-bolt's BOLT_* settings: honoured, or refused with a reason
        apis = discover_apis()
        routes = merge_routes(apis)
        # The API docs (/docs, /docs/openapi.json, ...) are routes like the project's own.
        routes = routes + docs_routes(apis, routes)
        from .asgi_mounts import validate_mount_conflicts

        # Checked again by each worker's runtime; here it is one clear error before any starts.
        validate_mount_conflicts(
            (r.path for r in routes if not r.alias), [m for api in apis for m in getattr(api, "_asgi_mounts", ())]
        )
        for r in routes:
            # Plans every type now, in the main interpreter, so a type that cannot work is a
            # start-up error before any worker starts (workers plan their own copies).
            r.plan()
        from .responses import allowed_file_roots

        allowed_file_roots()  # BOLT_ALLOWED_FILE_PATHS: each an existing directory
        return routes
    except StartupError:
        raise
    except Exception as e:
        raise StartupError(f"{type(e).__name__}: {e}") from e
