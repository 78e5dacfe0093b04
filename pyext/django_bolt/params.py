"""Parameter markers and the compiler that turns a handler's signature into a plan for Rust.

>>> @api.get("/items/{item_id}")
... def read(item_id: int, q: str | None = None, page: int = Query(1, alias="p")) -> dict: ...

Path parameters are the names in the route; other scalars come from the query string; a
``Struct``, dataclass, ``dict`` or ``list`` of objects is the JSON body; ``request`` (or any
parameter annotated ``Request``) receives the request object. ``Header()`` and ``Cookie()`` read
those; ``Depends(fn)`` injects what ``fn`` returns. Constraints (``ge``, ``max_length``,
``pattern``...) on any marker, or through ``Annotated[int, Meta(ge=1)]``, are enforced in Rust.

Every marker may also go inside ``Annotated``, FastAPI's recommended spelling, with the default
after ``=``: ``page: Annotated[int, Query(ge=1, alias="p")] = 1``,
``user: Annotated[User, Depends(current_user)]``. A default given both inside the marker and
after ``=`` is a start-up error.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import inspect
import re
import types
import typing
import uuid
from typing import Any, Callable, Iterable, Iterator

from ._plans import (  # the codes Rust shares
    F_DEFAULT,
    F_EMBED,
    F_FROZENSET,
    F_LIST,
    F_OPTIONAL,
    F_SET,
    F_TUPLE,
    K_ANY,
    K_BOOL,
    K_DATE,
    K_DATETIME,
    K_DECIMAL,
    K_FLOAT,
    K_INT,
    K_MODEL,
    K_STR,
    K_TIME,
    K_UUID,
    SRC_BODY,
    SRC_COOKIE,
    SRC_FILE,
    SRC_FORM,
    SRC_HEADER,
    SRC_PATH,
    SRC_QUERY,
    SRC_REQUEST,
    ParamPlan,
)
from .constraints import BOUNDS, LENGTHS, PATTERN, Meta
from .request import Request
from .struct import UnresolvedType
from .websocket.types import WebSocket

__all__ = [
    "Query",
    "Path",
    "Body",
    "Header",
    "Cookie",
    "Form",
    "File",
    "Depends",
    "Meta",
    "Param",
    "compile_params",
    "dependencies_of",
    "SignatureError",
]

_MISSING: Any = inspect.Parameter.empty


_SCALARS: dict[Any, int] = {
    str: K_STR,
    int: K_INT,
    float: K_FLOAT,
    bool: K_BOOL,
    uuid.UUID: K_UUID,
    _dt.date: K_DATE,
    _dt.datetime: K_DATETIME,
    decimal.Decimal: K_DECIMAL,
    _dt.time: K_TIME,
}


_SOURCE_NAMES = {SRC_QUERY: "the query", SRC_HEADER: "headers", SRC_COOKIE: "cookies", SRC_FORM: "a form"}


class SignatureError(TypeError):
    """A handler signature that cannot be served; raised at start-up, naming the parameter."""


class Param(Meta):
    """Base of the markers: a default plus where the value comes from, and constraints."""

    source: int = SRC_QUERY

    def __init__(
        self,
        default: Any = _MISSING,
        *,
        alias: str | None = None,
        description: str | None = None,
        example: Any = None,
        deprecated: bool = False,
        **constraints: Any,
    ) -> None:
        super().__init__(description=description, example=example, **constraints)
        if default is Ellipsis:
            default = _MISSING
        self.default = default
        self.alias = alias
        self.deprecated = deprecated

    def __repr__(self) -> str:
        return f"{type(self).__name__}(default={self.default!r}, alias={self.alias!r})"


class Query(Param):
    """A query-string parameter: ``page: int = Query(1, alias="p", ge=1)``."""

    source = SRC_QUERY


class Path(Param):
    """A path parameter (the default for names that appear in the route)."""

    source = SRC_PATH


class Body(Param):
    """The JSON request body. With ``embed=True`` the value is read from the body object's key
    (``{"item": {...}}``); several body parameters must all be embedded."""

    source = SRC_BODY

    def __init__(self, default: Any = _MISSING, *, embed: bool = False, **kw: Any) -> None:
        super().__init__(default, **kw)
        self.embed = embed


#: Header names a positional ``Header(...)`` argument is taken to be by mistake: the older
#: spelling here named the header positionally; in django-bolt (and now here) it is the default.
_HEADER_NAMES = frozenset(
    "accept accept-charset accept-encoding accept-language authorization cache-control content-length "
    "content-type cookie forwarded host if-match if-modified-since if-none-match if-range "
    "if-unmodified-since origin pragma range referer te upgrade user-agent via".split()
)
_X_HEADER = re.compile(r"x-[a-z0-9]+(-[a-z0-9]+)*", re.IGNORECASE)


class Header(Param):
    """A request header: ``Header(default, *, alias=None, convert_underscores=True, ...)``, as in
    django-bolt (and FastAPI) the first argument is the DEFAULT. The name is derived from the
    parameter (``x_request_id`` reads ``x-request-id``, case-insensitively) unless
    ``alias="X-API-Key"`` gives it.

    The older spelling here, ``Header("X-API-Key")`` naming the header, is refused at start-up
    when the argument is recognisably a header name (``X-...`` or a standard field name, or the
    header the parameter reads): use ``alias=``. A default that really is such a string can be
    passed as ``default=``.
    """

    source = SRC_HEADER

    def __init__(
        self,
        *args: Any,
        alias: str | None = None,
        convert_underscores: bool = True,
        **kw: Any,
    ) -> None:
        # ``*args`` so that ``Header(x)`` and ``Header(default=x)`` can be told apart: only the
        # positional form is checked for the older naming spelling; the keyword stays a way to
        # mean a literal default.
        if len(args) > 1:
            raise TypeError("Header() takes one positional argument, its default")
        if args and "default" in kw:
            raise TypeError("Header() got its default twice (positionally and as default=)")
        default = args[0] if args else kw.pop("default", _MISSING)
        if args and isinstance(default, str) and _looks_like_header_name(default):
            raise SignatureError(_old_header_spelling(default))
        super().__init__(default, alias=alias, **kw)
        self.convert_underscores = convert_underscores
        #: The default came positionally (checked against the header's name at start-up).
        self.positional = bool(args)


def _looks_like_header_name(text: str) -> bool:
    return text.lower() in _HEADER_NAMES or bool(_X_HEADER.fullmatch(text))


def _old_header_spelling(text: str) -> str:
    return (
        f"Header({text!r}): the first argument of Header() is its default value (as in django-bolt), "
        f"not the header's name; write Header(alias={text!r}) to read that header "
        f"(or Header(default={text!r}) if {text!r} really is the default)"
    )


class Cookie(Param):
    """A cookie from the ``Cookie`` header: ``session_id: str | None = Cookie(None, alias="sid")``."""

    source = SRC_COOKIE


class Form(Param):
    """A field of a URL-encoded or multipart form body: ``title: str = Form()``."""

    source = SRC_FORM


class File(Param):
    """An uploaded file of a multipart body: ``doc: UploadFile = File()`` (or ``list[UploadFile]``).

    django-bolt's checks, each a 422 naming the field (``loc: ["body", name]``) before the
    handler runs: ``max_size``/``min_size`` in bytes (``file_too_large``/``file_too_small``),
    ``allowed_types`` MIME types, ``"image/*"`` style wildcards allowed
    (``file_invalid_content_type``), ``max_files`` for a ``list[UploadFile]`` (``file_too_many``).

    >>> avatar: Annotated[UploadFile, File(max_size=2_000_000, allowed_types=["image/*"])]
    """

    source = SRC_FILE

    def __init__(
        self,
        default: Any = _MISSING,
        *,
        alias: str | None = None,
        description: str | None = None,
        max_size: int | None = None,
        min_size: int | None = None,
        allowed_types: Iterable[str] | None = None,
        max_files: int | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(default, alias=alias, description=description, **kw)
        for name, value in (("max_size", max_size), ("min_size", min_size), ("max_files", max_files)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"File({name}=...) must be a non-negative int, got {value!r}")
        if allowed_types is not None:
            # A str would be read as its characters, and "*" among them allows every type.
            if isinstance(allowed_types, (str, bytes)):
                raise TypeError(
                    f"File(allowed_types=...) takes a list of MIME types such as ['image/*'], got {allowed_types!r}"
                )
            allowed_types = tuple(allowed_types)
            if not all(isinstance(t, str) for t in allowed_types):
                raise TypeError(f"File(allowed_types=...) takes MIME type strings, got {allowed_types!r}")
            if not allowed_types:
                raise ValueError("File(allowed_types=[]) allows no file; leave it out to allow every type")
        self.max_size = max_size
        self.min_size = min_size
        self.allowed_types: tuple[str, ...] | None = allowed_types
        self.max_files = max_files

    def checks(self) -> bool:
        """Whether this marker asks for any check of the uploads."""
        return any(v is not None for v in (self.max_size, self.min_size, self.allowed_types, self.max_files))


class Depends:
    """Injects the value ``dependency`` returns (sync or async), resolved per request.

    A dependency declares parameters like a handler (query, headers, ``request``, other
    ``Depends``). With ``use_cache=True`` it runs once per request however often it is used.
    """

    def __init__(self, dependency: Callable[..., Any], *, use_cache: bool = True) -> None:
        if not callable(dependency):
            raise TypeError(f"Depends() needs a callable, got {dependency!r}")
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        return f"Depends({getattr(self.dependency, '__qualname__', self.dependency)!r})"


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _is_model(tp: Any) -> bool:
    from .struct import StructMeta, is_msgspec_struct

    return isinstance(tp, type) and (
        isinstance(tp, StructMeta) or dataclasses.is_dataclass(tp) or typing.is_typeddict(tp) or is_msgspec_struct(tp)
    )


def _is_body_type(tp: Any) -> bool:
    """Whether an unmarked parameter of this type is read from the JSON body: records, dicts,
    unions holding a record, and containers of anything but scalars (``list[int]`` stays a
    repeated query parameter)."""
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if _is_model(tp):
        return True
    origin = typing.get_origin(tp) or tp
    if origin in (dict, typing.Mapping, typing.MutableMapping):
        return True
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_body_type(a) for a in typing.get_args(tp))
    if origin in (list, set, frozenset, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return bool(args) and not all(a in _SCALARS for a in args)
    return False


def _annotated_marker(where: str, name: str, tp: Any) -> Param | Depends | None:
    """The one ``Query()``/``Header()``/.../``Depends()`` in ``Annotated[T, ...]``, or None."""
    if typing.get_origin(tp) is not typing.Annotated:
        return None
    found = [x for x in typing.get_args(tp)[1:] if isinstance(x, (Param, Depends))]
    if len(found) > 1:
        raise SignatureError(
            f"{where}: parameter {name!r} has several markers in Annotated "
            f"({', '.join(type(x).__name__ + '()' for x in found)}); give one"
        )
    return found[0] if found else None


def _dependency(where: str, p: inspect.Parameter, tp: Any) -> Depends | None:
    """The ``Depends`` of a parameter, from ``= Depends(fn)`` or ``Annotated[T, Depends(fn)]``."""
    marker = _annotated_marker(where, p.name, tp)
    if isinstance(marker, Depends):
        if p.default is not _MISSING:
            raise SignatureError(
                f"{where}: parameter {p.name!r} has Depends() in Annotated and a default "
                f"after '=' ({p.default!r}); a dependency takes no default"
            )
        return marker
    if isinstance(p.default, Depends):
        if marker is not None:
            raise SignatureError(
                f"{where}: parameter {p.name!r} has {type(marker).__name__}() in Annotated and "
                f"Depends() as its default; give one"
            )
        return p.default
    return None


def _default(where: str, p: inspect.Parameter, tp: Any) -> Any:
    """A parameter's default: the marker's (``x: int = Query(2)``), or what follows ``=``
    (``x: Annotated[int, Query(ge=0)] = 2``, as FastAPI recommends); both is an error."""
    marker = _annotated_marker(where, p.name, tp)
    from .cookies import Cookie as ResponseCookie

    if isinstance(p.default, ResponseCookie) or any(
        isinstance(x, ResponseCookie) for x in typing.get_args(tp)[1:] if typing.get_origin(tp) is typing.Annotated
    ):
        raise SignatureError(
            f"{where}: parameter {p.name!r} uses django_bolt.Cookie, the cookie a response sets; to read a "
            "request cookie use django_bolt.param_functions.Cookie (as in django-bolt)"
        )
    if isinstance(p.default, Param):
        if marker is not None:
            raise SignatureError(
                f"{where}: parameter {p.name!r} has {type(marker).__name__}() in Annotated and "
                f"{type(p.default).__name__}() as its default; give one"
            )
        return p.default.default
    if marker is not None and marker.default is not _MISSING:
        if p.default is not _MISSING:
            raise SignatureError(
                f"{where}: parameter {p.name!r} has a default both in {type(marker).__name__}() inside Annotated "
                f"({marker.default!r}) and after '=' ({p.default!r}); give it once, after '='"
            )
        return marker.default
    return p.default


def type_hints(fn: Callable[..., Any], where: str) -> dict[str, Any]:
    """``fn``'s resolved annotations, ``Annotated`` kept (a SignatureError when one cannot be)."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception as e:  # an unresolvable forward reference, say
        raise SignatureError(f"{where}: cannot resolve type hints: {e}") from e


def dependencies_of(fn: Callable[..., Any], where: str) -> dict[str, Depends]:
    """Parameter name -> ``Depends`` for each dependency ``fn`` declares (``= Depends(f)`` or
    ``Annotated[T, Depends(f)]``), in signature order."""
    hints = type_hints(fn, where)
    out = {}
    for p in inspect.signature(fn).parameters.values():
        dep = _dependency(where, p, hints.get(p.name, p.annotation))
        if dep is not None:
            out[p.name] = dep
    return out


def _param_meta(tp: Any, default: Any) -> tuple[Any, Param | None, Meta | None]:
    """The type without ``Annotated``, the marker (from the default or the metadata) and the
    constraints, merged."""
    marker = default if isinstance(default, Param) else None
    meta: Meta | None = marker
    if typing.get_origin(tp) is typing.Annotated:
        base, *extras = typing.get_args(tp)
        for x in extras:
            if isinstance(x, Param) and marker is None:
                marker = x
            if isinstance(x, Meta):
                meta = x.merged(meta) if meta is not None else x
        tp = base
    return tp, marker, meta


def _file_params(handler: Callable[..., Any]) -> Iterator[tuple[str, Any, File]]:
    """``(parameter name, its type without the marker, File marker)`` for each ``File()``
    parameter of ``handler``."""
    where = f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"
    hints = type_hints(handler, where)
    for p in inspect.signature(handler).parameters.values():
        tp = hints.get(p.name, Any if p.annotation is _MISSING else p.annotation)
        tp, marker, _ = _param_meta(tp, p.default)
        if isinstance(marker, File):
            yield p.name, tp, marker


def file_checks(handler: Callable[..., Any]) -> list[tuple[str, str, File]]:
    """``(parameter name, form field, File marker)`` for each parameter whose ``File(...)``
    asks for checks (``max_size``...); ``[]`` for most handlers."""
    return [(name, marker.alias or name, marker) for name, _, marker in _file_params(handler) if marker.checks()]


def _file_info_shape(tp: Any) -> str | None:
    """``"one"`` for a ``File()`` parameter typed ``dict``, ``"list"`` for ``list[dict]``:
    django-bolt's older form, where each upload is a dict (``filename``, ``content_type``,
    ``size``, ``headers`` and ``content``, or ``temp_path`` for a file spooled to disk)."""

    def is_dict(t: Any) -> bool:
        return t is dict or typing.get_origin(t) is dict

    if is_dict(tp):
        return "one"
    if typing.get_origin(tp) is list and len(typing.get_args(tp)) == 1 and is_dict(typing.get_args(tp)[0]):
        return "list"
    return None


def file_infos(handler: Callable[..., Any]) -> list[str]:
    """The names of the handler's ``File()`` parameters typed ``dict`` / ``list[dict]``
    (:func:`_file_info_shape`); ``[]`` for most handlers."""
    return [name for name, tp, _ in _file_params(handler) if _file_info_shape(_unwrap_optional(tp)[0])]


def compile_params(handler: Callable[..., Any], path: str, *, skip_depends: bool = False) -> list[tuple]:
    """Returns the handler's parameter plan: one tuple per parameter, in signature order.

    Each tuple is ``(name, source, kind, flags, default, key, model, constraints)``; see
    src/params.rs. ``Depends`` parameters are left out when ``skip_depends`` (the dependency
    resolver fills them); otherwise they are an error. Raises ``SignatureError`` naming the
    handler and parameter when it cannot be served.
    """
    where = f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"
    hints = type_hints(handler, where)
    path_names = {seg[1:-1].split(":")[0] for seg in _segments(path)}
    plan: list[tuple] = []
    for p in inspect.signature(handler).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise SignatureError(f"{where}: *args/**kwargs parameter {p.name!r} cannot be served")
        tp = hints.get(p.name, Any if p.annotation is _MISSING else p.annotation)
        if _dependency(where, p, tp) is not None:
            if not skip_depends:
                raise SignatureError(f"{where}: unexpected Depends for {p.name!r}")
            continue
        default = _default(where, p, tp)
        tp, marker, meta = _param_meta(tp, p.default)
        if tp is Request or tp is WebSocket or (p.name in ("request", "websocket") and tp is Any):
            plan.append(ParamPlan(p.name, SRC_REQUEST, K_ANY, 0, None, p.name, None, None))
            continue
        inner, optional = _unwrap_optional(tp)
        flags = F_OPTIONAL if optional else 0
        if default is not _MISSING:
            flags |= F_DEFAULT
        key = marker.alias if marker and marker.alias else p.name
        from .uploads import UploadFile

        is_list_of_files = typing.get_origin(inner) is list and typing.get_args(inner) == (UploadFile,)
        if inner is UploadFile or is_list_of_files or (marker is not None and marker.source == SRC_FILE):
            as_dicts = _file_info_shape(inner)
            if not (inner is UploadFile or is_list_of_files or as_dicts):
                raise SignatureError(
                    f"{where}: File() parameter {p.name!r} must be UploadFile, list[UploadFile], dict or list[dict]"
                )
            plan.append(
                ParamPlan(
                    p.name,
                    SRC_FILE,
                    K_ANY,
                    flags | (F_LIST if is_list_of_files or as_dicts == "list" else 0),
                    None if default is _MISSING else default,
                    key,
                    None,
                    None,
                )
            )
            continue
        if marker is not None:
            source = marker.source
        elif p.name in path_names:
            source = SRC_PATH
        elif _is_body_type(inner):
            source = SRC_BODY
        else:
            source = SRC_QUERY
        if source == SRC_HEADER:
            if not (marker and marker.alias) and getattr(marker, "convert_underscores", True):
                key = p.name.replace("_", "-")
            key = key.lower()
            # Header("User-Agent") on user_agent: the older spelling naming the header it reads.
            if (
                getattr(marker, "positional", False)
                and isinstance(default, str)
                and default.lower() in (key, p.name.lower())
            ):
                raise SignatureError(f"{where}: parameter {p.name!r}: {_old_header_spelling(default)}")
        if source == SRC_PATH and p.name not in path_names and key not in path_names:
            raise SignatureError(f"{where}: path parameter {p.name!r} is not in the route {path!r}")
        constraints = meta.constraints() if meta is not None else None
        if source == SRC_BODY:
            from .schema import plan_for

            body_tp = hints.get(p.name, Any)
            if marker is not None and marker.constraints() is not None:
                body_tp = typing.Annotated[body_tp, marker]
            try:
                body_plan = plan_for(body_tp, f"{p.name}")
            except UnresolvedType:
                # A class defined further down the module: planned at start-up, once every
                # module is imported (Route.plan()).
                body_plan = DeferredPlan(body_tp, where, p.name)
            except TypeError as e:
                raise SignatureError(f"{where}: body parameter {e}") from None
            if getattr(marker, "embed", False):
                flags |= F_EMBED
            plan.append(
                ParamPlan(
                    p.name, SRC_BODY, K_MODEL, flags, None if default is _MISSING else default, key, body_plan, None
                )
            )
            continue
        if source in (SRC_QUERY, SRC_HEADER, SRC_COOKIE, SRC_FORM) and _is_model(inner):
            plan.extend(_group(where, p.name, inner, source, flags))
            continue
        plan.append(_scalar(where, p.name, tp, inner, source, flags, default, key, constraints))
    body_params = [t for t in plan if t[1] == SRC_BODY]
    if len(body_params) > 1 and not all(t[3] & F_EMBED for t in body_params):
        names = ", ".join(repr(t[0]) for t in body_params if not t[3] & F_EMBED)
        raise SignatureError(f"{where}: several body parameters need Body(embed=True) on each ({names} is not)")
    if any(t[1] == SRC_BODY for t in plan) and any(t[1] in (SRC_FORM, SRC_FILE) for t in plan):
        raise SignatureError(f"{where}: a JSON body parameter cannot be combined with Form/File parameters")
    declared = {t[5] for t in plan if t[1] == SRC_PATH}
    missing = path_names - declared
    # A handler that takes the request may read them from ``request.params`` (django-bolt's
    # docs do); any other handler leaving one out is a typo caught here.
    takes_request = any(t[1] == SRC_REQUEST for t in plan)
    if missing and not skip_depends and not takes_request:
        raise SignatureError(f"{where}: route {path!r} has {sorted(missing)} but the handler does not take them")
    return plan


class DeferredPlan:
    """A body type that could not be planned when the handler was decorated (a forward
    reference to a later class); ``resolve()`` plans it at start-up."""

    __slots__ = ("tp", "where", "name")

    def __init__(self, tp: Any, where: str, name: str) -> None:
        self.tp, self.where, self.name = tp, where, name

    def resolve(self) -> Any:
        from .schema import plan_for

        try:
            return plan_for(self.tp, self.name)
        except TypeError as e:
            raise SignatureError(f"{self.where}: body parameter {e}") from None


def resolve_plans(plan: list[ParamPlan]) -> list[ParamPlan]:
    """The parameter plan with deferred body plans planned (raises SignatureError)."""
    return [t._replace(model=t.model.resolve()) if isinstance(t.model, DeferredPlan) else t for t in plan]


def _scalar(
    where: str,
    name: str,
    tp: Any,
    inner: Any,
    source: int,
    flags: int,
    default: Any,
    key: str,
    constraints: tuple | None,
    group: type | None = None,
) -> tuple:
    """The plan tuple of one path/query/header/cookie/form value coerced in Rust."""
    origin = typing.get_origin(inner) or inner
    if origin in _COLLECTIONS:
        elem, length = _collection_item(where, name, inner)
        flags |= F_LIST | _COLLECTIONS[origin]
        if source == SRC_PATH:
            raise SignatureError(f"{where}: path parameter {name!r} cannot be a {origin.__name__}")
        if length is not None:
            # tuple[int, int]: exactly that many values, checked as list lengths are.
            given = constraints if constraints is not None else (None,) * 8
            lo, hi = given[LENGTHS.start], given[LENGTHS.start + 1]
            if (lo is not None and lo != length) or (hi is not None and hi != length):
                raise SignatureError(f"{where}: {name!r}: a {length}-item tuple cannot take min_length/max_length")
            constraints = (*given[: LENGTHS.start], length, length, *given[LENGTHS.stop :])
    else:
        elem = inner
    elem = _resolve_alias(elem)
    if elem is Any or elem is _MISSING:
        elem = str
    kind = _SCALARS.get(elem)
    plan = None
    if kind is None:
        plan = _text_plan(elem)
        kind = K_MODEL if plan is not None else None
    if kind is None:
        raise SignatureError(
            f"{where}: parameter {name!r} has unsupported type {tp!r} "
            "(use str, int, float, bool, UUID, date, datetime, time, timedelta, Decimal, Enum, Literal, "
            "Optional or a list/set/frozenset/tuple of them)"
        )
    if source == SRC_PATH and flags & F_DEFAULT:
        raise SignatureError(f"{where}: path parameter {name!r} cannot have a default")
    if constraints is not None:
        numeric = kind in (K_INT, K_FLOAT, K_DECIMAL)
        if not numeric and any(c is not None for c in constraints[BOUNDS]):
            raise SignatureError(f"{where}: {name!r}: gt/ge/lt/le/multiple_of apply to numbers only")
        if kind != K_STR and not flags & F_LIST and any(c is not None for c in constraints[LENGTHS]):
            raise SignatureError(f"{where}: {name!r}: min_length/max_length apply to str or list only")
        if kind != K_STR and constraints[PATTERN] is not None:
            raise SignatureError(f"{where}: {name!r}: pattern applies to str only")
    return ParamPlan(name, source, kind, flags, None if default is _MISSING else default, key, plan, constraints, group)


# A repeated parameter's collection type -> the flag that makes Rust hand it over as one.
_COLLECTIONS = {list: 0, set: F_SET, frozenset: F_FROZENSET, tuple: F_TUPLE}


def _collection_item(where: str, name: str, tp: Any) -> tuple[Any, int | None]:
    """The item type of ``list[X]``/``set[X]``/``frozenset[X]``/``tuple[X, ...]`` (``str`` when
    bare), and for a fixed ``tuple[X, X]`` its length. A tuple of mixed item types is refused:
    each value of a repeated parameter is coerced to one kind."""
    args = typing.get_args(tp)
    if not args:
        return str, None
    if typing.get_origin(tp) is not tuple:
        return args[0], None
    if len(args) == 2 and args[1] is Ellipsis:
        return args[0], None
    if args == ((),):  # tuple[()]: no values at all
        raise SignatureError(f"{where}: parameter {name!r}: an empty tuple type takes no values")
    if any(a != args[0] for a in args[1:]):
        raise SignatureError(
            f"{where}: parameter {name!r} has type {tp!r}: a tuple parameter's items must share one "
            f"type (tuple[X, ...] or tuple[X, X]); read mixed values as list[str] and convert them"
        )
    return args[0], len(args)


def _resolve_alias(tp: Any) -> Any:
    """``UserId = NewType("UserId", int)`` and ``type Page = int`` as the type they name (as
    django-bolt reads them); any other type as it is."""
    for _ in range(16):  # aliases of aliases; a bound, not a loop forever on a cycle
        if isinstance(tp, typing.NewType):
            tp = tp.__supertype__
        elif isinstance(tp, typing.TypeAliasType):
            tp = tp.__value__
        else:
            break
    return tp


def _text_plan(tp: Any) -> Any:
    """A plan for a value that arrives as text (Enum, Literal, timedelta...), decoded by the
    same code as bodies; None when the type is not one of those."""
    from .schema import describe, plan_for

    try:
        root, _ = describe(tp)
    except TypeError:
        return None
    if root[0] not in ("enum", "literal", "timedelta", "bytes"):
        return None
    return plan_for(tp)


def _group(where: str, name: str, model: type, source: int, flags: int) -> list[tuple]:
    """A Struct/dataclass annotated ``Query()``/``Header()``/``Cookie()``/``Form()``: one plan
    tuple per field, named ``"<param>.<field>"`` with the class as a 9th item, so the handler wrapper
    (dependencies.py) builds the instance from the values Rust coerced and checked."""
    from .struct import NODEFAULT, _Field, fields

    if typing.is_typeddict(model):
        raise SignatureError(f"{where}: {name!r}: a TypedDict cannot be grouped from {_SOURCE_NAMES[source]}")
    out = []
    try:
        described = fields(model)
    except TypeError as e:
        raise SignatureError(f"{where}: {name!r}: {e}") from None
    for attr, json_name, ftp, fdefault in described:
        ftp, _, meta = _param_meta(ftp, None)
        inner, optional = _unwrap_optional(ftp)
        fflags = F_OPTIONAL if optional else 0
        if isinstance(fdefault, _Field):
            fdefault = fdefault.default_factory()
        if fdefault is NODEFAULT:
            fdefault = _MISSING
        else:
            fflags |= F_DEFAULT
        key = json_name
        if source == SRC_HEADER:
            key = (json_name if json_name != attr else attr.replace("_", "-")).lower()
        constraints = meta.constraints() if meta is not None else None
        out.append(
            _scalar(where, f"{name}.{attr}", ftp, inner, source, fflags, fdefault, key, constraints, group=model)
        )
    return out


def _segments(path: str) -> list[str]:
    out = []
    i = 0
    while (start := path.find("{", i)) != -1:
        end = path.find("}", start)
        if end == -1:
            break
        out.append(path[start : end + 1])
        i = end + 1
    return out
