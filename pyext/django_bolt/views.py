"""Class-based views: ``APIView``, ``ViewSet``, ``ModelViewSet`` and the CRUD mixins, with
django-bolt 0.13's names, signatures and routes.

>>> @api.viewset("/people")
... class PeopleViewSet(ModelViewSet):
...     queryset = Person.objects.all()
...     serializer_class = PersonOut               # what list/retrieve/create/update answer
...     create_serializer_class = NewPerson        # the POST body (PUT/PATCH too, unless
...                                                # update_serializer_class says otherwise)

gives ``GET /people`` (list), ``POST /people`` (create, 201), ``GET /people/{pk}`` (retrieve),
``PUT``/``PATCH /people/{pk}`` (update, partial_update) and ``DELETE /people/{pk}`` (destroy,
204); a missing row is a 404. ``@api.view(path)`` routes an ``APIView``'s ``get``/``post``/...
methods.

Each generated route is an ordinary route: its method's typed parameters are read and checked
in Rust, its body (the serializer class the action takes) is decoded by Rust into that class,
its response is encoded through the declared type, and it is in the OpenAPI document. A view
instance is made per request; ``self.request``, ``self.action`` and ``self.kwargs`` (the path
parameters) are set on it. Rows are read, written and deleted through Django's async ORM
(``aget``, ``asave``, ``adelete``); a list answers from one query (``.values(*fields)`` when the
item type's fields are all columns, so no model instances are built), evaluated by the encoder
on the core as bolt evaluates any QuerySet a handler returns; a paginated list counts and reads
its page through the async ORM (``django_bolt.pagination``).
"""

from __future__ import annotations

import functools
import inspect
import typing
from typing import TYPE_CHECKING, Any, Callable

from .decorators import _UNSET, ActionHandler
from .exceptions import HTTPException
from .pagination import PaginationBase, _is_queryset, _page_type, projected
from .request import Request

__all__ = [
    "APIView",
    "ViewSet",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "ListMixin",
    "RetrieveMixin",
    "CreateMixin",
    "UpdateMixin",
    "PartialUpdateMixin",
    "DestroyMixin",
]

#: action -> (method, on the detail path, default status)
_ACTIONS = {
    "list": ("GET", False, None),
    "create": ("POST", False, 201),
    "retrieve": ("GET", True, None),
    "update": ("PUT", True, None),
    "partial_update": ("PATCH", True, None),
    "destroy": ("DELETE", True, 204),
}
#: The HTTP methods a view's methods may be named after (django-bolt also has ``query``: bolt
#: does not route the QUERY method).
_VIEW_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


class _Omitted:
    """What a PATCH body's missing fields hold: not sent, so left as they are."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<omitted>"

    def __bool__(self) -> bool:
        return False


OMITTED: Any = _Omitted()
_NO_DATA: Any = object()


class APIView:
    """A class whose ``get``/``post``/``put``/``patch``/``delete`` methods answer one path.

    Methods are written like function handlers, with ``self`` first: typed path, query, header
    and body parameters, ``request``, ``Depends``. ``auth``, ``guards`` and ``status_code`` on
    the class apply to every method (``api.view(..., guards=...)`` overrides them).
    """

    http_method_names: tuple[str, ...] = _VIEW_METHODS
    guards: list[Any] | None = None
    auth: list[Any] | None = None
    status_code: int | None = None
    #: False: the return values are sent without the response model's check (None: the API's).
    validate_response: bool | None = None
    include_in_schema: bool | None = None
    #: The current request (set on the instance made for each request).
    request: Any = None
    #: The route's path parameters, by name.
    kwargs: dict[str, Any]

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            setattr(self, key, value)

    def initialize(self, request: Any) -> None:
        """Kept for django-bolt's API (it does not call it either)."""

    @classmethod
    def get_allowed_methods(cls) -> set[str]:
        """The methods this class implements (upper case)."""
        return {m.upper() for m in cls.http_method_names if callable(getattr(cls, m, None))}

    @classmethod
    def as_view(cls, method: str, action: str | None = None) -> Callable[..., Any]:
        """The handler for ``method`` (or the ``action`` method): an instance per call, the
        method's own parameters plus ``request``."""
        m = method.lower()
        if m not in cls.http_method_names:
            raise ValueError(f"Method '{method}' not allowed. Allowed methods: {cls.http_method_names}")
        name = action if action and getattr(cls, action, None) is not None else m
        fn = getattr(cls, name, None)
        if fn is None:
            raise ValueError(f"View class {cls.__name__} does not implement method '{action or m}'")
        return _endpoint(cls, fn, name, "")[0]


class ViewSet(APIView):
    """A resource's actions (``list``, ``retrieve``, ``create``, ``update``, ``partial_update``,
    ``destroy`` and ``@action`` methods), routed by ``api.viewset(path)``.

    ``queryset`` (cloned for each request), ``get_queryset()``, ``filter_queryset()``,
    ``get_object()`` (404 when no row matches), ``lookup_field`` (``"pk"``: the detail routes are
    ``{path}/{pk}``), the serializer classes and ``pagination_class`` (applied to ``list``).
    """

    serializer_class: Any = None
    list_serializer_class: Any = None
    create_serializer_class: Any = None
    update_serializer_class: Any = None
    lookup_field: str = "pk"
    pagination_class: type[PaginationBase] | None = None
    #: The action being served (``"list"``, ``"retrieve"``, an ``@action``'s name...).
    action: str | None = None
    _base_queryset: Any = None
    _data: Any = _NO_DATA

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("queryset")
        if declared is not None and not isinstance(declared, property):
            # Kept aside: every access to `queryset` is a fresh clone, so no request sees
            # another's cached rows.
            cls._base_queryset = declared
            delattr(cls, "queryset")

    @property
    def queryset(self) -> Any:
        base = self.__dict__.get("_instance_queryset", self._base_queryset)
        return base.all() if base is not None and hasattr(base, "all") else base

    @queryset.setter
    def queryset(self, value: Any) -> None:
        self.__dict__["_instance_queryset"] = value

    def _get_base_queryset(self) -> Any:
        return self.__dict__.get("_instance_queryset", self._base_queryset)

    async def get_queryset(self) -> Any:
        """A fresh clone of ``queryset``; override to filter (``self.request`` is set)."""
        base = self._get_base_queryset()
        if base is None:
            raise ValueError(
                f"'{type(self).__name__}' should either include a `queryset` attribute, "
                "or override the `get_queryset()` method."
            )
        return base.all() if hasattr(base, "all") else base

    async def filter_queryset(self, queryset: Any) -> Any:
        """Filtering, searching, ordering from the request: the default changes nothing."""
        return queryset

    async def _apply_filter_queryset(self, queryset: Any) -> Any:
        if type(self).filter_queryset is ViewSet.filter_queryset:
            return queryset
        return await self.filter_queryset(queryset)

    async def get_object(self, *args: Any, **lookup: Any) -> Any:
        """The row whose ``lookup_field`` is the path's value (or ``get_object(value)``,
        ``get_object(field=value)``); ``HTTPException(404)`` when there is none."""
        queryset = await self._apply_filter_queryset(await self.get_queryset())
        if args:
            if len(args) != 1 or lookup:
                raise TypeError("get_object() accepts either one positional lookup value or keyword lookups")
            lookup = {self.lookup_field: args[0]}
        elif not lookup:
            params = getattr(self, "kwargs", None) or getattr(self.request, "path_params", None) or {}
            if self.lookup_field not in params:
                raise HTTPException(status_code=400, detail=f"Missing lookup field: {self.lookup_field}")
            lookup = {self.lookup_field: params[self.lookup_field]}
        from django.core.exceptions import ObjectDoesNotExist, ValidationError

        try:
            return await queryset.aget(**lookup)
        except ObjectDoesNotExist:
            raise HTTPException(status_code=404, detail="Not found") from None
        except (TypeError, ValueError, ValidationError):
            # A lookup value the column cannot hold ("abc" for an integer key) matches no row.
            raise HTTPException(status_code=404, detail="Not found") from None

    @classmethod
    def _get_default_serializer_class(cls, action: str | None = None) -> Any:
        if action == "list" and cls.list_serializer_class is not None:
            return cls.list_serializer_class
        if action == "create" and cls.create_serializer_class is not None:
            return cls.create_serializer_class
        if action in ("update", "partial_update"):
            if cls.update_serializer_class is not None:
                return cls.update_serializer_class
            if cls.create_serializer_class is not None:
                return cls.create_serializer_class
        if cls.serializer_class is None:
            raise ValueError(
                f"'{cls.__name__}' should either include a `serializer_class` attribute, "
                "or override the `get_serializer_class()` method."
            )
        return cls.serializer_class

    def get_serializer_class(self, action: str | None = None) -> Any:
        """The serializer for ``action`` (default: the current one): ``list_serializer_class``
        for list, ``create_serializer_class`` for create, ``update_serializer_class`` (else the
        create one) for update and partial_update, else ``serializer_class``."""
        return type(self)._get_default_serializer_class(action if action is not None else self.action)

    async def perform_create(self, obj: Any) -> None:
        await obj.asave()

    async def perform_update(self, obj: Any) -> None:
        await obj.asave()

    async def perform_destroy(self, obj: Any) -> None:
        await obj.adelete()

    async def perform_destory(self, obj: Any) -> None:
        """django-bolt's misspelled hook, kept as an alias of ``perform_destroy``."""
        await self.perform_destroy(obj)

    async def _perform_destroy(self, obj: Any) -> None:
        cls = type(self)
        if cls.perform_destory is not ViewSet.perform_destory and cls.perform_destroy is ViewSet.perform_destroy:
            await self.perform_destory(obj)
        else:
            await self.perform_destroy(obj)

    def _validated(self, request: Any, action: str) -> Any:
        """The request body as the action's serializer: decoded by Rust before the method ran
        (the route declares it), or decoded now from ``request.body`` (a mixin method called
        from an override that did not take the body)."""
        if self._data is not _NO_DATA:
            return self._data
        from .json import decode

        cls = self.get_serializer_class(action)
        return decode(request.body or b"{}", type=_patch_type(cls) if action == "partial_update" else cls)

    def _model(self) -> Any:
        base = self._get_base_queryset()
        if base is None:
            raise ValueError(f"'{type(self).__name__}' needs a `queryset` to create rows")
        return base.model


# At run time the mixins are plain classes (as in django-bolt); type checkers see ViewSet.
_Base = ViewSet if TYPE_CHECKING else object


class ListMixin(_Base):
    """``list``: ``GET {path}``, the (filtered) queryset."""

    async def list(self, request: Request) -> Any:
        return await self._apply_filter_queryset(await self.get_queryset())


class RetrieveMixin(_Base):
    """``retrieve``: ``GET {path}/{lookup}``, one row or 404."""

    async def retrieve(self, request: Request) -> Any:
        return await self.get_object()


class CreateMixin(_Base):
    """``create``: ``POST {path}`` with the create serializer's body; a new row, 201."""

    async def create(self, request: Request) -> Any:
        data = self._validated(request, "create")
        model = self._model()
        if hasattr(data, "to_model"):
            obj = data.to_model(model)
        else:
            # A primary key sent as null (or left to its default None) is the database's to choose.
            obj = model(
                **{k: v for k, v in _values(data, model, skip_pk=False) if v is not None or not _is_pk(model, k)}
            )
        await self.perform_create(obj)
        return obj


class UpdateMixin(_Base):
    """``update``: ``PUT {path}/{lookup}`` with the update serializer's body (every field)."""

    async def update(self, request: Request) -> Any:
        obj = await self.get_object()
        data = self._validated(request, "update")
        if hasattr(data, "update_instance"):
            data.update_instance(obj)
        else:
            for k, v in _values(data, type(obj), skip_pk=True):
                setattr(obj, k, v)
        await self.perform_update(obj)
        return obj


class PartialUpdateMixin(_Base):
    """``partial_update``: ``PATCH {path}/{lookup}`` with some of the update serializer's fields
    (each checked against its declared type; the others left as they are)."""

    async def partial_update(self, request: Request) -> Any:
        obj = await self.get_object()
        data = self._validated(request, "partial_update")
        changed = False
        for k, v in _values(data, type(obj), skip_pk=True):
            if v is not OMITTED:
                setattr(obj, k, v)
                changed = True
        if changed:
            await self.perform_update(obj)
        return obj


class DestroyMixin(_Base):
    """``destroy``: ``DELETE {path}/{lookup}``; 204, no body."""

    async def destroy(self, request: Request) -> None:
        await self._perform_destroy(await self.get_object())
        return None


class ReadOnlyModelViewSet(ListMixin, RetrieveMixin, ViewSet):
    """``list`` and ``retrieve`` over ``queryset``."""


class ModelViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, PartialUpdateMixin, DestroyMixin, ViewSet):
    """The six CRUD actions over ``queryset`` with ``serializer_class`` (and the
    ``list_``/``create_``/``update_serializer_class`` variants)."""


# -- the model side of the serializers -----------------------------------------------------------


def _is_pk(model: Any, name: str) -> bool:
    pk = model._meta.pk
    return pk is not None and name in (pk.name, pk.attname)


def _values(data: Any, model: Any, *, skip_pk: bool) -> list[tuple[str, Any]]:
    """(model attribute, value) for each field of ``data`` that is a column of ``model``."""
    from .struct import fields

    columns = _model_columns(model)
    out = []
    for attr, _, _, _ in fields(type(data)):
        if attr in columns and not (skip_pk and _is_pk(model, attr)):
            out.append((attr, getattr(data, attr)))
    return out


@functools.cache
def _model_columns(model: Any) -> frozenset[str]:
    names = set()
    for f in model._meta.concrete_fields:
        names.add(f.attname)
        names.add(f.name)
    return frozenset(names)


@functools.cache
def _patch_type(cls: Any) -> Any:
    """``cls`` with every field optional: a missing one is ``OMITTED``. Rust decodes a PATCH body
    into it, checking each field sent against its declared type and constraints."""
    from .struct import Struct, StructMeta, field, fields

    annotations = {}
    ns: dict[str, Any] = {"__module__": getattr(cls, "__module__", __name__)}
    for attr, json_name, tp, _ in fields(cls):
        annotations[attr] = tp
        ns[attr] = field(default_factory=_omitted, name=json_name)
    ns["__annotations__"] = annotations
    name = f"{getattr(cls, '__name__', 'Body')}Patch"
    ns["__qualname__"] = name
    forbid = cls.__struct_config__["forbid_unknown_fields"] if isinstance(cls, StructMeta) else False
    return StructMeta(name, (Struct,), ns, kw_only=True, forbid_unknown_fields=forbid or None)


def _omitted() -> Any:
    return OMITTED


# -- routes ----------------------------------------------------------------------------------------


def _path_names(path: str) -> list[str]:
    out = []
    i = 0
    while (start := path.find("{", i)) != -1:
        end = path.find("}", start)
        if end == -1:
            break
        out.append(path[start + 1 : end].split(":")[0])
        i = end + 1
    return out


def _lookup_type(cls: type, name: str) -> Any:
    """The type a lookup path parameter is read as: the model field's (int for integer keys,
    UUID for UUID keys), else str."""
    import uuid

    base = getattr(cls, "_base_queryset", None)
    model = getattr(base, "model", None)
    if model is None:
        return str
    try:
        f = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - not a field (a custom lookup): read as text
        return str
    from django.db import models

    if isinstance(f, (models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField)):
        return int
    if isinstance(f, models.UUIDField):
        return uuid.UUID
    return str


def _has_body(fn: Callable[..., Any], params: list[inspect.Parameter]) -> bool:
    from .params import _is_body_type, type_hints

    try:
        hints = type_hints(fn, getattr(fn, "__qualname__", "?"))
    except TypeError:
        return False
    return any(_is_body_type(hints.get(p.name, Any)) for p in params)


def _endpoint(
    cls: type,
    fn: Callable[..., Any],
    action: str,
    path: str,
    *,
    body: Any = None,
    finish: Callable[[Any, Any], Any] | None = None,
) -> tuple[Callable[..., Any], bool]:
    """(the route's handler for ``cls.fn``, whether it is async).

    Its signature is the method's without ``self``, plus what the view needs that the method
    does not declare: ``request``, the route's path parameters and, with ``body``, the body
    typed as the serializer. Those are kept off the method's call and set on the instance.
    ``finish(view, result)`` (async) post-processes the result (the list's evaluation).
    """
    sig = inspect.signature(fn)
    own = list(sig.parameters.values())[1:]
    names = {p.name for p in own}
    kw_only = inspect.Parameter.KEYWORD_ONLY
    params = [p.replace(kind=kw_only) for p in own if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if len(params) != len(own):
        raise TypeError(f"{cls.__qualname__}.{action}: *args/**kwargs cannot be served")
    annotations = {k: v for k, v in getattr(fn, "__annotations__", {}).items() if k != "self"}
    hidden_request = "request" not in names
    if hidden_request:
        params.append(inspect.Parameter("request", kw_only, annotation=Request))
        annotations["request"] = Request
    route_params = _path_names(path)
    hidden_path = tuple(n for n in route_params if n not in names)
    for n in hidden_path:
        tp = _lookup_type(cls, n) if n == getattr(cls, "lookup_field", None) else str
        params.append(inspect.Parameter(n, kw_only, annotation=tp))
        annotations[n] = tp
    body_name = None
    if body is not None and not _has_body(fn, own):
        body_name = "body" if "body" not in names else "_body"
        params.append(inspect.Parameter(body_name, kw_only, annotation=body))
        annotations[body_name] = body
    route_params_t = tuple(route_params)

    def prepare(kw: dict[str, Any]) -> Any:
        view = cls()
        view.request = kw.pop("request") if hidden_request else kw["request"]
        view.action = action
        view.kwargs = {n: kw[n] for n in route_params_t}
        for n in hidden_path:
            del kw[n]
        if body_name is not None:
            view._data = kw.pop(body_name)
        return view

    is_async = inspect.iscoroutinefunction(fn)
    if is_async:
        if finish is None:

            async def endpoint(**kw: Any) -> Any:
                view = prepare(kw)
                return await fn(view, **kw)

        else:

            async def endpoint(**kw: Any) -> Any:
                view = prepare(kw)
                return await finish(view, await fn(view, **kw))

    else:
        if finish is not None:
            raise TypeError(f"{cls.__qualname__}.{action}: the {action} action must be async def")

        def endpoint(**kw: Any) -> Any:  # type: ignore[misc]
            view = prepare(kw)
            return fn(view, **kw)

    endpoint.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    endpoint.__annotations__ = annotations
    # typing.get_type_hints follows __wrapped__ to the method's module, where string
    # annotations (`from __future__ import annotations`) are resolved.
    endpoint.__wrapped__ = fn  # type: ignore[attr-defined]
    endpoint.__name__ = action
    endpoint.__qualname__ = f"{cls.__qualname__}.{action}"
    endpoint.__module__ = cls.__module__
    endpoint.__doc__ = fn.__doc__
    for mark in ("__bolt_cors__", "__bolt_rate_limit__", "__bolt_skip_middleware__", "__bolt_middleware__"):
        if hasattr(fn, mark):
            setattr(endpoint, mark, getattr(fn, mark))
    return endpoint, is_async


def _return_type(fn: Callable[..., Any]) -> Any:
    """The method's resolved return annotation, or _UNSET."""
    try:
        tp = typing.get_type_hints(fn, include_extras=True).get("return", _UNSET)
    except Exception:  # noqa: BLE001 - unresolvable here: the route reports it, or ignores it
        return _UNSET
    # The mixins' own methods say nothing about their rows: the serializer classes do.
    return _UNSET if tp is Any else tp


def _list_finish(item: Any) -> Callable[[Any, Any], Any]:
    """A returned QuerySet reads only ``item``'s columns when they are all columns of the model
    (``.values(*fields)``: no model instances). It is left lazy: the encoder evaluates it in one
    query on the core, as bolt evaluates any QuerySet a handler returns (and as it runs ``def``
    handlers by default), with no thread hop (one cost django-bolt pays on every list)."""

    async def finish(view: Any, result: Any) -> Any:
        return projected(result, item) if _is_queryset(result) else result

    return finish


def _fast_list(cls: type, fn: Callable[..., Any], item: Any) -> Callable[..., Any] | None:
    """The list route of a viewset that customises nothing of it (``ListMixin.list``, the
    default ``get_queryset``/``filter_queryset``, a class ``queryset`` whose rows ``item`` reads
    as columns): the projected QuerySet is built once here and cloned per request, with no view
    instance and no ``request`` to build. What it answers is exactly what the generic path
    answers; it costs a QuerySet clone instead of a clone, a ``.values()`` and a view."""
    if (
        fn is not ListMixin.list
        or cls.get_queryset is not ViewSet.get_queryset
        or cls.filter_queryset is not ViewSet.filter_queryset
        or cls._apply_filter_queryset is not ViewSet._apply_filter_queryset
    ):
        return None
    base = cls._base_queryset
    if base is None or not _is_queryset(base):
        return None
    values = projected(base, item)
    if values is base:
        return None

    async def endpoint() -> Any:
        return values.all()

    endpoint.__name__ = "list"
    endpoint.__qualname__ = f"{cls.__qualname__}.list"
    endpoint.__module__ = cls.__module__
    endpoint.__doc__ = fn.__doc__
    return endpoint


def _paginated_finish(pagination_class: type[PaginationBase], item: Any) -> Callable[[Any, Any], Any]:
    paginator = pagination_class()
    paginator.serializer_class = item

    async def finish(view: Any, result: Any) -> Any:
        return await paginator.paginate_queryset(result, view.request)

    return finish


def register_view(
    api: Any,
    view_cls: type,
    path: str,
    *,
    name: str | None = None,
    methods: list[str] | None = None,
    guards: list[Any] | None = None,
    auth: list[Any] | None = None,
    status_code: int | None = None,
    tags: list[str] | None = None,
    include_in_schema: bool | None = None,
) -> None:
    """``api.view``: one route per method the class implements (or per one of ``methods``)."""
    if not (isinstance(view_cls, type) and issubclass(view_cls, APIView)):
        raise TypeError(f"View class {getattr(view_cls, '__name__', view_cls)} must inherit from APIView")
    available = {m.lower() for m in view_cls.get_allowed_methods()} & set(_VIEW_METHODS)
    if methods is None:
        wanted = [m for m in _VIEW_METHODS if m in available]
        if not wanted:
            raise ValueError(f"View class {view_cls.__name__} does not implement any HTTP methods")
    else:
        wanted = [m.lower() for m in methods]
        for m in wanted:
            if m not in available:
                raise ValueError(f"View class {view_cls.__name__} does not implement method '{m}'")
    for attr in dir(view_cls):
        if not attr.startswith("_") and isinstance(getattr(view_cls, attr, None), ActionHandler):
            raise ValueError(
                f"Custom action {view_cls.__name__}.{attr} uses @action decorator, but ViewSet was "
                "registered with api.view() instead of api.viewset(). Use api.viewset() for automatic "
                "action path generation."
            )
    visible = include_in_schema if include_in_schema is not None else view_cls.include_in_schema
    for m in wanted:
        endpoint, _ = _endpoint(view_cls, getattr(view_cls, m), m, path)
        api.route(
            m.upper(),
            path,
            name=name or view_cls.__name__,
            status_code=status_code if status_code is not None else view_cls.status_code,
            guards=guards if guards is not None else view_cls.guards,
            auth=auth if auth is not None else view_cls.auth,
            tags=tags,
            include_in_schema=visible,
            validate_response=view_cls.validate_response,
        )(endpoint)


def register_viewset(
    api: Any,
    viewset_cls: type,
    path: str,
    *,
    name: str | None = None,
    guards: list[Any] | None = None,
    auth: list[Any] | None = None,
    status_code: int | None = None,
    lookup_field: str = "pk",
    tags: list[str] | None = None,
    include_in_schema: bool | None = None,
) -> None:
    """``api.viewset``: the CRUD routes of the actions the class implements, then its
    ``@action`` routes."""
    if not (isinstance(viewset_cls, type) and issubclass(viewset_cls, ViewSet)):
        raise TypeError(f"ViewSet class {getattr(viewset_cls, '__name__', viewset_cls)} must inherit from ViewSet")
    lookup = viewset_cls.lookup_field if lookup_field == "pk" else lookup_field
    if lookup != viewset_cls.lookup_field:
        # get_object() reads the path parameter the routes are made with.
        viewset_cls.lookup_field = lookup
    base = name if name is not None else viewset_cls.__name__
    visible = include_in_schema if include_in_schema is not None else viewset_cls.include_in_schema
    cls_guards = guards if guards is not None else viewset_cls.guards
    cls_auth = auth if auth is not None else viewset_cls.auth
    detail_path = f"{path}/{{{lookup}}}"

    def serializer(action: str) -> Any:
        try:
            return viewset_cls._get_default_serializer_class(action)
        except ValueError:
            return None

    for action, (method, detail, default_status) in _ACTIONS.items():
        fn = getattr(viewset_cls, action, None)
        if fn is None or not callable(fn) or isinstance(fn, ActionHandler):
            continue
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{viewset_cls.__qualname__}.{action} must be async def (CRUD actions are async)")
        declared = _return_type(fn)
        model: Any = _UNSET
        body = None
        finish = None
        if action == "list":
            item_tp = serializer("list")
            listed = declared if declared is not _UNSET else (list[item_tp] if item_tp is not None else _UNSET)
            from .pagination import extract_pagination_item_type

            item = extract_pagination_item_type(listed) if listed is not _UNSET else None
            if viewset_cls.pagination_class is not None:
                finish = _paginated_finish(viewset_cls.pagination_class, item)
                model = _page_type(viewset_cls.pagination_class, item) if item is not None else None
            else:
                finish = _list_finish(item)
                if declared is _UNSET and item_tp is not None:
                    model = list[item_tp]
                fast = _fast_list(viewset_cls, fn, item)
                if fast is not None:
                    api.route(
                        method,
                        path,
                        name=f"{base}-{action}",
                        status_code=status_code if status_code is not None else viewset_cls.status_code,
                        guards=cls_guards,
                        auth=cls_auth,
                        tags=tags,
                        include_in_schema=visible,
                        validate_response=viewset_cls.validate_response,
                        **({} if model is _UNSET else {"response_model": model}),
                    )(fast)
                    continue
        elif action == "destroy":
            if declared is _UNSET:
                model = None
        else:
            if declared is _UNSET and serializer("retrieve") is not None:
                model = serializer("retrieve")
            if action in ("create", "update", "partial_update"):
                body = serializer(action)
                if body is not None and action == "partial_update":
                    body = _patch_type(body)
        endpoint, _ = _endpoint(viewset_cls, fn, action, detail_path if detail else path, body=body, finish=finish)
        status = status_code if status_code is not None else viewset_cls.status_code
        kw: dict[str, Any] = {}
        if model is not _UNSET:
            kw["response_model"] = model
        api.route(
            method,
            detail_path if detail else path,
            name=f"{base}-{action}",
            status_code=status if status is not None else default_status,
            guards=cls_guards,
            auth=cls_auth,
            tags=tags,
            include_in_schema=visible,
            validate_response=viewset_cls.validate_response,
            **kw,
        )(endpoint)

    for attr in sorted(dir(viewset_cls)):
        if attr.startswith("_") or attr in _ACTIONS or attr in _VIEW_METHODS:
            continue
        handler = getattr(viewset_cls, attr, None)
        if not isinstance(handler, ActionHandler):
            continue
        action_path = f"{detail_path}/{handler.path}" if handler.detail else f"{path}/{handler.path}"
        for method in handler.methods:
            endpoint, _ = _endpoint(viewset_cls, handler.fn, attr, action_path)
            kw = {}
            if handler.response_model is not _UNSET:
                kw["response_model"] = handler.response_model
            api.route(
                method,
                action_path,
                name=f"{base}-{handler.name or handler.fn.__name__}",
                status_code=handler.status_code,
                guards=handler.guards if handler.guards is not None else cls_guards,
                auth=handler.auth if handler.auth is not None else cls_auth,
                tags=handler.tags if handler.tags is not None else tags,
                summary=handler.summary,
                description=handler.description,
                include_in_schema=visible,
                validate_response=viewset_cls.validate_response,
                **kw,
            )(endpoint)
