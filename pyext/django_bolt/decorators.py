"""``@action``: extra routes on a ``ViewSet`` beyond the six CRUD actions (django-bolt's, after
Django REST framework's).

>>> @api.viewset("/people")
... class PeopleViewSet(ModelViewSet):
...     queryset = Person.objects.all()
...     serializer_class = PersonOut
...
...     @action(methods=["POST"], detail=True)          # POST /people/{pk}/deactivate
...     async def deactivate(self, request, pk: int) -> PersonOut:
...         person = await self.get_object()
...         person.is_active = False
...         await person.asave()
...         return person
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["action", "ActionHandler"]

_UNSET: Any = object()
#: The methods an action may answer (django-bolt also takes QUERY, which bolt does not route).
_METHODS = frozenset(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "QUERY"))


class ActionHandler:
    """A ViewSet method marked with ``@action``: the function and how ``api.viewset`` routes it.

    ``detail=True`` routes it at ``{base}/{lookup}/{path}``, ``detail=False`` at
    ``{base}/{path}``; ``path`` defaults to the function's name. ``auth``/``guards`` left
    ``None`` take the class's.
    """

    __slots__ = (
        "fn",
        "methods",
        "detail",
        "path",
        "name",
        "auth",
        "guards",
        "response_model",
        "status_code",
        "validate_response",
        "tags",
        "summary",
        "description",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        methods: list[str],
        detail: bool,
        path: str | None = None,
        name: str | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        response_model: Any = _UNSET,
        status_code: int | None = None,
        validate_response: bool | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
    ) -> None:
        self.fn = fn
        self.methods = [m.upper() for m in methods]
        self.detail = detail
        self.path = path or fn.__name__
        self.name = name
        self.auth = auth
        self.guards = guards
        self.response_model = response_model
        self.status_code = status_code
        self.validate_response = validate_response
        self.tags = tags
        self.summary = summary
        self.description = description

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        # Looked up on an instance (self.other_action(...)) it is the bound method, as the
        # undecorated function would be; on the class it stays the marker api.viewset reads.
        return self if obj is None else self.fn.__get__(obj, owner)

    def __repr__(self) -> str:
        kind = "detail" if self.detail else "list"
        return f"ActionHandler({'|'.join(self.methods)}, {kind}, path={self.path}, fn={self.fn.__name__})"


def action(
    methods: list[str],
    detail: bool,
    path: str | None = None,
    *,
    name: str | None = None,
    auth: list[Any] | None = None,
    guards: list[Any] | None = None,
    response_model: Any = _UNSET,
    status_code: int | None = None,
    validate_response: bool | None = None,
    tags: list[str] | None = None,
    summary: str | None = None,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], ActionHandler]:
    """Marks a ViewSet method as a custom action; ``api.viewset`` registers one route per method.

    ``detail=True``: ``{base}/{lookup}/{path}`` (the method may declare the lookup parameter;
    ``self.get_object()`` finds the row either way). ``detail=False``: ``{base}/{path}``.
    ``name`` is the route name's suffix (``{viewset name}-{name}``, default the function's name).
    ``validate_response`` is accepted for django-bolt's signature; bolt always encodes through
    the declared type.
    """
    if isinstance(methods, str):
        raise TypeError(f'@action(methods=...) takes a list of methods, e.g. ["{methods.upper()}"]')
    for m in methods:
        if m.upper() not in _METHODS:
            raise ValueError(f"Invalid HTTP method '{m}'. Valid methods: {', '.join(sorted(_METHODS))}")

    def decorator(fn: Callable[..., Any]) -> ActionHandler:
        return ActionHandler(
            fn,
            list(methods),
            detail,
            path=path,
            name=name,
            auth=auth,
            guards=guards,
            response_model=response_model,
            status_code=status_code,
            validate_response=validate_response,
            tags=tags,
            summary=summary,
            description=description,
        )

    return decorator
