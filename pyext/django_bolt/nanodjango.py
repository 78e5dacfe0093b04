"""django-bolt in a nanodjango single-file app (django-bolt 0.13's plugin).

    # myapp.py
    from nanodjango import Django
    from django_bolt.nanodjango import BoltAPI

    app = Django()
    bolt = BoltAPI()

    @bolt.get("/hello")
    async def hello(request):
        return {"message": "hello"}

    if __name__ == "__main__":
        import sys
        from django.core.management import execute_from_command_line
        execute_from_command_line(sys.argv)

``python myapp.py runbolt --port 8000`` (or ``nanodjango manage myapp.py runbolt``) serves it on
every core. Install with ``pip install "django-bolt[nanodjango]"``: nanodjango finds this module
through its ``nanodjango`` entry point and calls its hooks.

nanodjango has no settings module: ``Django()`` configures Django when the script runs. Each
core's sub-interpreter therefore imports the script itself (by file, under the app's name, so
its ``if __name__ == "__main__"`` block does not run: as ``nanodjango run`` imports it) before
it sets Django up; ``settings.BOLT_API`` names the ``BoltAPI`` by that module name in every
interpreter. ``nanodjango convert`` moves the ``BoltAPI`` and its routes into the new
project's ``api.py`` and adds ``django_bolt`` to its ``INSTALLED_APPS``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import json
import logging
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

try:
    from nanodjango import hookimpl
except ImportError as e:  # pragma: no cover - the extra is not installed
    raise ImportError('django_bolt.nanodjango needs nanodjango: pip install "django-bolt[nanodjango]"') from e

from .api import BoltAPI as _BoltAPI
from .options import add_worker_preload

if TYPE_CHECKING:
    from nanodjango import Django
    from nanodjango.convert.converter import Converter, Resolver

__all__ = ["BoltAPI"]

logger = logging.getLogger(__name__)

#: This interpreter's nanodjango app (one per script; ``django_pre_setup`` records it).
_app: Django | None = None


def _add_installed_app() -> None:
    from django.conf import settings  # not at the top: nanodjango imports this module before settings exist

    if "django_bolt" not in settings.INSTALLED_APPS:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_bolt"]


class BoltAPI(_BoltAPI):
    """A ``django_bolt.BoltAPI`` that a nanodjango script's ``runbolt`` finds by itself.

    Create it after ``app = Django()`` (which configures Django), at the script's top level.
    Its first route (or mount) sets ``settings.BOLT_API`` to ``"<app>:<variable>"``; the
    module is found from the caller's frame unless ``module=`` names it (for an API built
    inside a function). Outside a nanodjango app (a project ``nanodjango convert`` made) it is
    a plain ``BoltAPI``, found by the usual ``api.py`` discovery.

    >>> app = Django()
    >>> bolt = BoltAPI()
    >>> @bolt.get("/hello")
    ... async def hello(request):
    ...     return {"message": "hello"}
    """

    def __init__(self, *args: Any, module: str | None = None, **kwargs: Any) -> None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        if not settings.configured:
            raise ImproperlyConfigured(
                "django_bolt.nanodjango.BoltAPI() was created before Django settings are configured: "
                "create the nanodjango app first (app = Django(), then bolt = BoltAPI())"
            )
        if module is None:
            caller = sys._getframe(1)  # noqa: SLF001 - the module that creates the API, as 0.13 finds it
            module = caller.f_globals.get("__name__", "__main__")
            del caller
        self._module_name: str = module
        self._registered = False
        super().__init__(*args, **kwargs)
        if _under_nanodjango():
            _add_installed_app()

    def _register(self) -> None:
        """Puts this API in ``settings.BOLT_API`` (once, under nanodjango only)."""
        if self._registered:
            return
        self._registered = True
        if not _under_nanodjango():
            return
        from django.conf import settings

        module = sys.modules.get(self._module_name)
        if module is None:
            logger.warning(
                "django_bolt.nanodjango: module %r is not imported, so BOLT_API was not set; "
                "pass module=__name__ to BoltAPI() or set settings.BOLT_API",
                self._module_name,
            )
            return
        variable = next((k for k, v in vars(module).items() if v is self), None)
        if variable is None:
            logger.warning(
                "django_bolt.nanodjango: this BoltAPI is not a top-level variable of %r, so BOLT_API "
                "was not set; assign it at the top level, pass module= the module that holds it, or "
                "set settings.BOLT_API",
                self._module_name,
            )
            return
        entry = f"{_importable_name(module, self._module_name)}:{variable}"
        current = getattr(settings, "BOLT_API", None) or []
        current = [current] if isinstance(current, str) else list(current)
        if entry not in current:
            settings.BOLT_API = [*current, entry]

    # Every way of giving the API something to serve registers it: by then the variable the
    # script assigns it to exists.
    def route(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        self._register()
        return super().route(*args, **kwargs)

    def mount_asgi(self, path: str, app: Callable[..., Any]) -> None:
        self._register()
        super().mount_asgi(path, app)

    def mount(self, path: str, app: _BoltAPI) -> None:
        self._register()
        super().mount(path, app)

    def include(self, other: _BoltAPI) -> None:
        self._register()
        super().include(other)


def _under_nanodjango() -> bool:
    from django.conf import settings

    return _app is not None or getattr(settings, "ND_APP_NAME", None) is not None


def _importable_name(module: types.ModuleType, name: str) -> str:
    """The name every interpreter imports ``module`` by: a script run as ``__main__`` is the
    nanodjango app, which nanodjango also registers as ``sys.modules[<app name>]`` and which
    the workers import under that name."""
    if name == "__main__":
        from django.conf import settings

        app_name = getattr(settings, "ND_APP_NAME", None)
        if app_name and sys.modules.get(app_name) is module:
            return app_name
    return name


# --- the workers ------------------------------------------------------------------------------


def _script_for_workers() -> tuple[str, str] | None:
    """``WorkerBoot.preload``'s entry for this app (``options.add_worker_preload``)."""
    if _app is None:
        return None
    what = {"name": _app.app_name, "path": str(Path(_app.app_path).resolve()), "prepare": bool(_app._prepared)}  # noqa: SLF001
    return f"{__name__}:_load_script", json.dumps(what)


def _load_script(argument: str) -> None:
    """In a worker interpreter, before Django is set up: import the app's script, whose
    ``Django()`` configures Django and whose decorators register the routes."""
    what = json.loads(argument)
    name, path = what["name"], what["path"]
    if name in sys.modules:
        return  # this interpreter has it (a process worker forked from the loaded main one)
    _stand_in_for_compiled_formatters()
    folder = str(Path(path).parent)
    if folder not in sys.path:
        # As nanodjango's own CLI does: the script's folder holds its migrations package.
        sys.path.append(folder)
    if Path(path).name == "__init__.py":
        importlib.import_module(name)  # a package on sys.path (nanodjango's APP_NAME case)
    else:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"django_bolt.nanodjango: cannot import the app script {path}")
        module = importlib.util.module_from_spec(spec)
        # In sys.modules before it runs: Django() looks its module up there.
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    if what["prepare"] and _app is not None:
        # `nanodjango manage` prepared the app (admin URL, media) before runbolt; the same here.
        _app._prepare()  # noqa: SLF001


#: What nanodjango's converter imports that is compiled (mypyc) in the wheels pip installs.
_CONVERTER_ONLY = ("black", "isort")


def _stand_in_for_compiled_formatters() -> None:
    """``Django()`` loads nanodjango's django-ninja plugin, which imports its converter and so
    black and isort. Their wheels are compiled with mypyc, and those extension modules refuse to
    load in a sub-interpreter. A worker never converts: each one that is compiled gets a
    stand-in whose every attribute says so when called."""
    for name in _CONVERTER_ONLY:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            continue  # not installed (the import fails as it would anyway), or pure Python
        sys.modules[name] = _StandIn(name)


class _StandIn(types.ModuleType):
    def __getattr__(self, attr: str) -> Callable[..., Any]:
        if attr.startswith("__"):
            raise AttributeError(attr)
        module = self.__name__

        def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(
                f"{module} is a compiled extension that cannot load in a django-bolt worker interpreter; "
                "run `nanodjango convert` outside the server"
            )

        return unavailable


# --- nanodjango's hooks -------------------------------------------------------------------------


@hookimpl
def django_pre_setup(app: Django) -> None:
    """Before ``django.setup()``: ``django_bolt`` joins ``INSTALLED_APPS`` (so ``runbolt`` is a
    command), and the server will have its workers import this app's script."""
    global _app
    _app = app
    _add_installed_app()
    add_worker_preload(_script_for_workers)


@hookimpl
def convert_build_settings(converter: Converter, resolver: Resolver, settings_ast: ast.Module) -> None:
    """``nanodjango convert``: the new ``settings.py`` lists ``django_bolt`` in ``INSTALLED_APPS``."""
    for node in settings_ast.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.List)):
            continue
        if any(isinstance(t, ast.Name) and t.id == "INSTALLED_APPS" for t in node.targets):
            names = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            if "django_bolt" not in names:
                node.value.elts.append(ast.Constant(value="django_bolt"))
            return


def _root_name(node: ast.expr) -> str | None:
    """``bolt`` for ``bolt``, ``bolt.get``, ``bolt.get("/x")``; None for anything else."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _creates_bolt_api(node: ast.stmt) -> list[str]:
    """The names ``node`` assigns a new ``BoltAPI(...)`` (or ``x.BoltAPI(...)``) to."""
    if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
        return []
    func = node.value.func
    called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if called != "BoltAPI":
        return []
    return [t.id for t in node.targets if isinstance(t, ast.Name)]


@hookimpl
def convert_build_app_api(converter: Converter, resolver: Resolver, extra_src: list[str]) -> tuple[Resolver, list[str]]:
    """``nanodjango convert``: the ``BoltAPI`` objects, the functions and classes their
    decorators register, and the calls on them (``bolt.mount_django("/")``...) move to the
    new app's ``api.py``, in the script's order."""
    apis: set[str] = set()
    for node in converter.ast.body:
        moved = False
        names = _creates_bolt_api(node)
        if names:
            apis.update(names)
            for name in names:
                resolver.add_object(name)
            moved = True
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if any(_root_name(d) in apis for d in node.decorator_list):
                resolver.add_object(node.name)
                moved = True
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            moved = _root_name(node.value) in apis
        if moved:
            # Not at the top: nanodjango.convert imports black, which a worker cannot load.
            from nanodjango.convert.utils import collect_references

            extra_src.append(ast.unparse(node))
            resolver.add_references(collect_references(node))
    return resolver, extra_src


@hookimpl
def convert_build_app_api_done(converter: Converter) -> None:
    """nanodjango writes ``from ninja import NinjaAPI`` and ``api = NinjaAPI()`` at the top of
    ``api.py`` for its own ``@app.api``; when the app has none, they go: django-ninja needs
    pydantic, which cannot load in bolt's sub-interpreters."""
    if converter.api_views:
        return
    path = converter.app_path / "api.py"
    if not path.exists():
        return
    unwanted = {"from ninja import NinjaAPI", "api = NinjaAPI()"}
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if line.strip() not in unwanted]
    if kept != lines:
        path.write_text("".join(kept))
