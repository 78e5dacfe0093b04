"""Pagination: ``@paginate(PageNumberPagination)`` on a handler that returns a QuerySet (or a
list), or ``pagination_class`` on a ViewSet; the same query parameters, defaults and response
shape as django-bolt 0.13.

>>> @api.get("/people")
... @paginate(PageNumberPagination)
... async def people(request) -> list[PersonOut]:
...     return Person.objects.all()

``GET /people?page=2&page_size=20`` answers
``{"items": [...], "total": 100, "has_next": true, "has_previous": true, "page": 2,
"page_size": 20, "total_pages": 5, "next_page": 3, "previous_page": 1}`` (fields that are
``None`` are left out, as ``PaginatedResponse`` omits defaults).

The database does the work: a COUNT and a LIMIT/OFFSET query (cursor pagination: one
``WHERE key < cursor ... LIMIT n+1`` query and no count), run through Django's async ORM; the
whole QuerySet is never evaluated. When the item type is a Struct (or dataclass) whose fields
are all columns of the model, the page is read with ``.values(*fields)``: no model instances.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import typing
from typing import Any, Callable

from .struct import Struct

__all__ = [
    "PaginationBase",
    "PageNumberPagination",
    "LimitOffsetPagination",
    "CursorPagination",
    "PaginatedResponse",
    "paginate",
    "extract_pagination_item_type",
]


class PaginatedResponse(Struct, omit_defaults=True):
    """The page envelope: ``items``, ``total``, ``has_next``, ``has_previous`` always; the
    scheme's own fields (``page``/``page_size``/``total_pages``/``next_page``/``previous_page``,
    ``limit``/``offset``, ``next_cursor``/``previous_cursor``) when set.

    ``PaginatedResponse[Item]`` is a subclass whose ``items`` are ``list[Item]`` (made once per
    item type): what the route encodes through and documents.
    """

    items: list[Any]
    total: int
    has_next: bool
    has_previous: bool
    page: int | None = None
    page_size: int | None = None
    total_pages: int | None = None
    next_page: int | None = None
    previous_page: int | None = None
    limit: int | None = None
    offset: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None

    def __class_getitem__(cls, item: Any) -> type:
        return _envelope(cls, item)


@functools.cache
def _envelope(cls: type, item: Any) -> type:
    name = getattr(item, "__name__", None) or "Item"
    ns = {
        "__annotations__": {"items": list[item]},
        "__module__": cls.__module__,
        "__qualname__": f"{cls.__name__}_{name}_",
    }
    return type(cls)(f"{cls.__name__}_{name}_", (cls,), ns)


def extract_pagination_item_type(response_type: Any) -> Any:
    """The item type of ``list[T]`` or ``PaginatedResponse[T]``; None for anything else."""
    if typing.get_origin(response_type) is list:
        args = typing.get_args(response_type)
        return args[0] if args else None
    if isinstance(response_type, type) and issubclass(response_type, PaginatedResponse):
        item = typing.get_args(typing.get_type_hints(response_type).get("items"))
        return item[0] if item and item[0] is not Any else None
    return None


def _query(request: Any) -> dict[str, str]:
    """The request's query parameters: bolt's ``Request.query``, or a django-bolt style mapping
    with a ``"query"`` key."""
    q = getattr(request, "query", None)
    if q is None and hasattr(request, "get"):
        q = request.get("query", {})
    return q or {}


def _is_queryset(obj: Any) -> bool:
    return hasattr(obj, "_iterable_class") and hasattr(obj, "model")


def projected(queryset: Any, item_type: Any, extra: tuple[str, ...] = ()) -> Any:
    """``queryset.values(*fields)`` when every field of ``item_type`` (a Struct, dataclass or
    TypedDict) is a column of the model (or an annotation of the QuerySet): the rows are then
    read as dicts, without model instances. Otherwise the QuerySet as it is."""
    from django.db.models.query import ModelIterable

    if item_type is None or not _is_queryset(queryset) or queryset._iterable_class is not ModelIterable:
        return queryset
    names = _columns(queryset.model, item_type)
    if names is None:
        return queryset
    annotations = queryset.query.annotations
    if not all(n in names[1] or n in annotations for n in names[0]):
        return queryset
    return queryset.values(*names[0], *(e for e in extra if e not in names[0]))


@functools.cache
def _columns(model: type, item_type: Any) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """(the item's field names, the model's plain column names) or None when the item type has
    no fields to read (not a record)."""
    from .struct import fields

    try:
        described = fields(item_type)
    except TypeError:
        return None
    columns = set()
    for f in model._meta.concrete_fields:
        columns.add(f.attname)
        if not f.is_relation:
            columns.add(f.name)
    if model._meta.pk is not None:
        columns.add("pk")
    return tuple(attr for attr, _, _, _ in described), frozenset(columns)


class PaginationBase:
    """What every scheme shares: the page size settings, counting, reading a page, the envelope.

    Subclasses implement ``get_page_params(request)`` and ``paginate_queryset(queryset,
    request)``; ``build_response`` may be overridden (with ``response_class``) for another
    envelope.
    """

    page_size: int = 100
    max_page_size: int = 1000
    page_size_query_param: str | None = None
    #: The item type (set from the route's ``list[Item]``); pages of a QuerySet are read as
    #: dicts of its fields when they are all columns.
    serializer_class: Any = None
    response_class: type = PaginatedResponse

    def build_response(
        self, items: list[Any], *, total: int, request: Any, has_next: bool, has_previous: bool, **info: Any
    ) -> Any:
        """The envelope for one page (``info``: the scheme's fields)."""
        return self.response_class(items=items, total=total, has_next=has_next, has_previous=has_previous, **info)

    async def get_page_params(self, request: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> Any:
        raise NotImplementedError

    async def _get_queryset_count(self, queryset: Any) -> int:
        """``SELECT COUNT(*)`` through the async ORM (``len`` for a list)."""
        if isinstance(queryset, (list, tuple)):
            return len(queryset)
        if hasattr(queryset, "acount"):
            return await queryset.acount()
        if hasattr(queryset, "count") and callable(queryset.count):
            return queryset.count()
        return len(queryset)

    async def _evaluate_queryset_slice(self, queryset: Any) -> list[Any]:
        """The rows of an already sliced QuerySet (one query through the async ORM)."""
        if _is_queryset(queryset):
            queryset = projected(queryset, self.serializer_class)
            return [row async for row in queryset]
        if hasattr(queryset, "__aiter__"):
            return [row async for row in queryset]
        return list(queryset)

    async def _serialize_items(self, items: list[Any]) -> list[Any]:
        """Rows as the route encodes them: as they are when an item type reads them by field
        name; model instances as dicts of their attributes without one (django-bolt's
        fallback)."""
        if self.serializer_class is not None or not items:
            return items
        return [self._model_to_dict(x) for x in items]

    def _model_to_dict(self, item: Any) -> Any:
        if hasattr(item, "_meta") and hasattr(item, "_state"):
            return {k: v for k, v in item.__dict__.items() if not k.startswith("_")}
        return item

    def _get_page_size(self, request: Any) -> int:
        """``page_size_query_param`` from the query when given and a positive int (capped at
        ``max_page_size``), else ``page_size``."""
        if self.page_size_query_param:
            text = _query(request).get(self.page_size_query_param)
            if text:
                try:
                    size = int(text)
                except (TypeError, ValueError):
                    return self.page_size
                if size > self.max_page_size:
                    return self.max_page_size
                return size if size >= 1 else self.page_size
        return self.page_size


def _int(text: Any, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


class PageNumberPagination(PaginationBase):
    """``?page=N&page_size=M`` (page from 1; a page past the last is the last one)."""

    page_size: int = 100
    max_page_size: int = 1000
    page_size_query_param: str | None = "page_size"

    async def get_page_params(self, request: Any) -> dict[str, Any]:
        page = _int(_query(request).get("page", "1"), 1)
        return {"page": max(page, 1), "page_size": self._get_page_size(request)}

    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> Any:
        p = await self.get_page_params(request)
        page, size = p["page"], p["page_size"]
        total = await self._get_queryset_count(queryset)
        total_pages = (total + size - 1) // size if total > 0 else 0
        if page > total_pages > 0:
            page = total_pages
        offset = (page - 1) * size
        rows = await self._evaluate_queryset_slice(queryset[offset : offset + size]) if total else []
        items = await self._serialize_items(rows)
        return self.build_response(
            items,
            total=total,
            request=request,
            has_next=page < total_pages,
            has_previous=page > 1,
            page=page,
            page_size=size,
            total_pages=total_pages,
            next_page=page + 1 if page < total_pages else None,
            previous_page=page - 1 if page > 1 else None,
        )


class LimitOffsetPagination(PaginationBase):
    """``?limit=N&offset=M`` (limit defaults to ``page_size``, capped at ``max_page_size``)."""

    page_size: int = 100
    max_page_size: int = 1000

    async def get_page_params(self, request: Any) -> dict[str, Any]:
        q = _query(request)
        text = q.get("limit")
        limit = self.page_size if text is None else _int(text, self.page_size)
        if limit < 1:
            limit = self.page_size
        limit = min(limit, self.max_page_size)
        offset = max(_int(q.get("offset", "0"), 0), 0)
        return {"limit": limit, "offset": offset}

    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> Any:
        p = await self.get_page_params(request)
        limit, offset = p["limit"], p["offset"]
        total = await self._get_queryset_count(queryset)
        rows = await self._evaluate_queryset_slice(queryset[offset : offset + limit]) if offset < total else []
        items = await self._serialize_items(rows)
        return self.build_response(
            items,
            total=total,
            request=request,
            has_next=offset + limit < total,
            has_previous=offset > 0,
            limit=limit,
            offset=offset,
        )


class CursorPagination(PaginationBase):
    """``?cursor=...&page_size=N``: keyset pagination on ``ordering`` (default ``"-id"``), one
    query per page and no count (``total`` is 0). The cursor is base64 of ``{"v": last key}``;
    one that does not decode starts from the beginning."""

    page_size: int = 100
    max_page_size: int = 1000
    page_size_query_param: str | None = "page_size"
    ordering: str = "-id"

    async def _evaluate_queryset_slice(self, queryset: Any) -> list[Any]:
        if _is_queryset(queryset):
            # Rows read as dicts keep the ordering key, which the next cursor is made of.
            queryset = projected(queryset, self.serializer_class, (self.ordering.lstrip("-"),))
        return await super()._evaluate_queryset_slice(queryset)

    def _encode_cursor(self, value: Any) -> str:
        from .json import encode

        return base64.b64encode(encode({"v": value})).decode("ascii")

    def _decode_cursor(self, cursor: str) -> Any:
        try:
            data = json.loads(base64.b64decode(cursor.encode("utf-8")))
            return data.get("v")
        except Exception:  # noqa: BLE001 - a cursor the client mangled: start over, as django-bolt does
            return None

    async def get_page_params(self, request: Any) -> dict[str, Any]:
        text = _query(request).get("cursor")
        return {
            "cursor": self._decode_cursor(text) if text else None,
            "page_size": self._get_page_size(request),
        }

    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> Any:
        p = await self.get_page_params(request)
        cursor, size = p["cursor"], p["page_size"]
        field = self.ordering.lstrip("-")
        descending = self.ordering.startswith("-")
        qs = queryset.order_by(self.ordering)
        if cursor is not None:
            qs = qs.filter(**{f"{field}__{'lt' if descending else 'gt'}": cursor})
        rows = await self._evaluate_queryset_slice(qs[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        next_cursor = None
        if has_next and rows:
            last = rows[-1]
            value = last.get(field) if isinstance(last, dict) else getattr(last, field, None)
            if value is not None:
                next_cursor = self._encode_cursor(value)
        items = await self._serialize_items(rows)
        return self.build_response(
            items,
            total=0,
            request=request,
            has_next=has_next,
            has_previous=cursor is not None,
            page_size=size,
            next_cursor=next_cursor,
        )


_REQUEST_PARAM = "request"


def paginate(pagination_class: type[PaginationBase] = PageNumberPagination) -> Callable[[Any], Any]:
    """Paginates what the handler returns (a QuerySet or a list) with ``pagination_class``.

    The item type comes from the handler's ``-> list[Item]`` (or the route's
    ``response_model=list[Item]``); the route then encodes and documents
    ``PaginatedResponse[Item]``. The handler need not take ``request``: the wrapper asks for it.
    """

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(handler)
        takes_request = _REQUEST_PARAM in sig.parameters
        paginator_box: list[PaginationBase] = []
        is_async = inspect.iscoroutinefunction(handler)

        @functools.wraps(handler)
        async def wrapper(**kw: Any) -> Any:
            request = kw[_REQUEST_PARAM] if takes_request else kw.pop(_REQUEST_PARAM)
            if is_async:
                result = await handler(**kw)
            else:
                # As bolt calls plain def handlers: no running loop, so the ORM may be used.
                from .dependencies import _inline

                result = _inline(handler, kw)
                if inspect.isawaitable(result):
                    result = await result
            if not paginator_box:
                p = pagination_class()
                p.serializer_class = getattr(wrapper, "__serializer_class__", None)
                paginator_box.append(p)
            return await paginator_box[0].paginate_queryset(result, request)

        params = list(sig.parameters.values())
        if not takes_request:
            from .request import Request

            params.append(inspect.Parameter(_REQUEST_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
        annotations = dict(getattr(handler, "__annotations__", {}))
        if not takes_request:
            from .request import Request

            annotations[_REQUEST_PARAM] = Request
        item = None
        try:
            ret = typing.get_type_hints(handler, include_extras=True).get("return")
        except Exception:  # noqa: BLE001 - a forward reference: the route's response_model may name it
            ret = None
        item = extract_pagination_item_type(ret)
        annotations.pop("return", None)
        envelope = None
        if item is not None:
            envelope = _page_type(pagination_class, item)
            if envelope is not None:
                annotations["return"] = envelope
        wrapper.__signature__ = sig.replace(  # type: ignore[attr-defined]
            parameters=sorted(params, key=lambda p: p.kind), return_annotation=envelope or inspect.Signature.empty
        )
        wrapper.__annotations__ = annotations
        wrapper.__paginated__ = True  # type: ignore[attr-defined]
        wrapper.__pagination_class__ = pagination_class  # type: ignore[attr-defined]
        wrapper.__serializer_class__ = item  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _page_type(pagination_class: type[PaginationBase], item: Any) -> Any:
    """``pagination_class.response_class[item]`` when bolt can plan it, else None (encoded as
    built, unchecked)."""
    from .schema import describe

    try:
        tp = pagination_class.response_class[item]  # type: ignore[index]
        if not isinstance(tp, type):
            # A generic envelope of the user's (``class DRFPage(Serializer, Generic[T])``):
            # ``DRFPage[Item]`` is a typing alias, which cannot be planned or documented.
            tp = _bound_envelope(pagination_class.response_class, item) or tp
        describe(tp)
    except (TypeError, AttributeError):
        return None
    return tp


@functools.cache
def _bound_envelope(cls: type, item: Any) -> type | None:
    """A subclass of the generic envelope ``cls`` (one type parameter) whose fields name
    ``item`` where ``cls`` names its parameter: ``DRFPage_Item_``, as ``PaginatedResponse``
    makes ``PaginatedResponse_Item_``. None when ``cls`` is not generic in one parameter."""
    params = getattr(cls, "__parameters__", ())
    if len(params) != 1:
        return None
    (param,) = params
    annotations = {}
    for field, tp in typing.get_type_hints(cls).items():
        if tp is param:
            annotations[field] = item
        elif param in getattr(tp, "__parameters__", ()):
            annotations[field] = tp[item]
    if not annotations:
        return None
    name = f"{cls.__name__}_{getattr(item, '__name__', None) or 'Item'}_"
    ns = {"__annotations__": annotations, "__module__": cls.__module__, "__qualname__": name}
    return type(cls)(name, (cls,), ns)


def paginated_model(fn: Callable[..., Any], response_model: Any) -> Any:
    """The type a route whose handler is ``@paginate``d encodes through, given the route's
    ``response_model`` (``list[Item]`` becomes ``PaginatedResponse[Item]``; the item type is
    also what the pages are read with)."""
    item = extract_pagination_item_type(response_model)
    if item is None:
        return response_model
    fn.__serializer_class__ = item  # type: ignore[attr-defined]
    return _page_type(fn.__pagination_class__, item)  # type: ignore[attr-defined]
