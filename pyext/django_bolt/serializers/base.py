"""``Serializer``: a ``Struct`` with validators, computed fields, read/write-only fields and
Django model helpers, as django-bolt's.

It is a ``Struct`` subclass, so everything the server does with a Struct it does with a
Serializer: a body typed with it is decoded in Rust straight into the class (types and
``Meta`` constraints checked there), then ``__post_init__`` runs the validators, whose failures
Rust reports as 422 entries at each field's place. A response typed with it is encoded
through its *output* plan (``__bolt_output_type__``): the fields ``dump()`` writes (no
write-only or excluded ones) plus the computed fields.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, ClassVar, Iterable, TypeVar

from ..exceptions import RequestValidationError
from ..struct import NODEFAULT, Struct, StructMeta, _Field, _make_init, _own_annotations
from ..struct import field as _struct_field
from .decorators import ComputedFieldConfig, _function
from .fields import UNSET_DEFAULT, FieldConfig, FieldMarker

__all__ = ["Serializer", "SerializerView", "SerializerValidationError"]

T = TypeVar("T", bound="Serializer")

#: Exceptions a validator raises to say "invalid" (anything else is a bug: a 500).
_INVALID = (ValueError, TypeError, AssertionError)


class _Errors(list):
    """The error list, also callable: django-bolt code calls ``e.errors()``, ours reads
    ``e.errors``."""

    def __call__(self) -> list[dict[str, Any]]:
        return list(self)


class SerializerValidationError(RequestValidationError, ValueError):
    """Validators of a Serializer failed: ``errors`` lists every failure in the 422 shape
    (``loc`` starting at ``"body"``). ``__bolt_issues__`` holds the same failures relative to
    the instance, for the Rust decoder to place them inside a larger body."""

    def __init__(self, issues: list[tuple[tuple[Any, ...], str, Any]]) -> None:
        errors = _Errors(
            {"type": "value_error", "loc": ["body", *loc], "msg": f"Value error, {msg}", "input": value}
            for loc, msg, value in issues
        )
        super().__init__(errors)
        self.errors = errors
        self.__bolt_issues__ = [(loc, msg) for loc, msg, _ in issues]


def _validate(self: Serializer) -> None:
    """``__post_init__`` of a Serializer with validators: model validators (before), field
    validators, model validators (after); every failure is collected, then raised together."""
    cls = type(self)
    issues: list[tuple[tuple[Any, ...], str, Any]] = []
    # Literal (choices) fields, for direct construction: a decoded body was checked in Rust.
    for attr, key, allowed in cls.__bolt_literals__:
        value = getattr(self, attr)
        if value not in allowed:
            issues.append(((key,), "Input should be " + " or ".join(map(repr, allowed)), value))
    for v in cls.__bolt_model_before__:
        try:
            v(self)
        except _INVALID as e:
            issues.append(((), str(e), None))
    for attr, key, validators in cls.__bolt_field_validators__:
        value = getattr(self, attr)
        try:
            for v in validators:
                out = v(cls, value)
                if out is not None:
                    value = out
        except _INVALID as e:
            issues.append(((key,), str(e), value))
            continue
        object.__setattr__(self, attr, value)  # frozen Serializers too
    for v in cls.__bolt_model_after__:
        try:
            v(self)
        except _INVALID as e:
            issues.append(((), str(e), None))
    if issues:
        raise SerializerValidationError(issues)
    user = cls.__bolt_user_post_init__
    if user is not None:
        user(self)


class SerializerMeta(StructMeta):
    """Builds a Serializer class: ``kw_only`` by default, ``field()`` options, validators and
    computed fields collected along the MRO, ``Config`` read."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> SerializerMeta:
        kw.setdefault("kw_only", True)
        _fields_from_model(ns)
        configs: dict[str, FieldConfig] = {}
        for b in reversed(bases):
            configs.update(getattr(b, "__bolt_field_configs__", {}))
        for attr, value in list(ns.items()):
            if isinstance(value, FieldMarker):
                c = value.config
                configs[attr] = c
                if c.default_factory is not None:
                    ns[attr] = _struct_field(default_factory=c.default_factory)
                elif c.default is not UNSET_DEFAULT:
                    ns[attr] = c.default
                else:
                    del ns[attr]  # required
        user_post_init = ns.pop("__post_init__", None)
        cls = super().__new__(mcls, name, bases, ns, **kw)
        if user_post_init is None:
            user_post_init = next((getattr(b, "__bolt_user_post_init__", None) for b in bases), None)
        cls.__bolt_user_post_init__ = user_post_init
        cls.__bolt_field_configs__ = configs
        _collect(cls)
        needs_post_init = bool(
            cls.__bolt_literals__
            or cls.__bolt_field_validators__
            or cls.__bolt_model_before__
            or cls.__bolt_model_after__
            or user_post_init is not None
        )
        if needs_post_init:
            cls.__post_init__ = _validate
        if "__init__" not in ns:
            cls.__init__ = _make_init(cls, cls.__struct_config__["kw_only"])
        return cls


def _fields_from_model(ns: dict[str, Any]) -> None:
    """``class Config: model = Person; fields = [...]`` (or ``"__all__"``, or ``exclude = [...]``):
    adds the model's fields the class body does not declare itself, typed and defaulted as
    ``create_serializer`` does (DRF's ModelSerializer spelling; django-bolt 0.13 reads
    ``Config.model`` but makes no fields from it)."""
    config = ns.get("Config")
    model = getattr(config, "model", None)
    if model is None or not (hasattr(config, "fields") or hasattr(config, "exclude")):
        return
    from .model_types import model_fields

    ann, defaults = model_fields(model, getattr(config, "fields", None), getattr(config, "exclude", None))
    own = _own_annotations(ns)
    for name, tp in ann.items():
        if name in own:
            continue  # declared in the class body: that declaration wins
        own[name] = tp
        if name in defaults and name not in ns:
            ns[name] = defaults[name]
    ns["__annotations__"] = own
    ns.pop("__annotate__", None)


def _collect(cls: Any) -> None:
    """Reads the marks left by the decorators and ``Config``; sets the class's tables."""
    field_before: dict[str, list[Any]] = {}
    field_after: dict[str, list[Any]] = {}
    model_before: list[Any] = []
    model_after: list[Any] = []
    computed: dict[str, ComputedFieldConfig] = {}
    seen: set[str] = set()
    for klass in reversed(cls.__mro__):
        for attr, raw in vars(klass).items():
            fn = _function(raw)
            if attr in seen:
                # Overridden in a subclass: the subclass's definition replaces it below.
                for table in (field_before, field_after):
                    for lst in table.values():
                        lst[:] = [f for f in lst if f.__name__ != attr]
                model_before[:] = [f for f in model_before if f.__name__ != attr]
                model_after[:] = [f for f in model_after if f.__name__ != attr]
                computed = {k: c for k, c in computed.items() if c.method_name != attr}
            mark = getattr(fn, "__bolt_field_validator__", None)
            if mark is not None:
                target, mode = mark
                (field_before if mode == "before" else field_after).setdefault(target, []).append(fn)
                seen.add(attr)
            mode = getattr(fn, "__bolt_model_validator__", None)
            if mode is not None:
                (model_before if mode == "before" else model_after).append(fn)
                seen.add(attr)
            cfg = getattr(fn, "__bolt_computed_field__", None)
            if cfg is not None:
                computed[cfg.key] = cfg
                seen.add(attr)
    names = cls.__struct_fields__
    for target in (*field_before, *field_after):
        if target not in names:
            raise TypeError(f"{cls.__name__}: @field_validator({target!r}) names no field (fields: {list(names)})")
    json = cls.__struct_encode_fields__
    cls.__bolt_field_validators__ = tuple(
        (f, json[f], tuple(field_before.get(f, []) + field_after.get(f, [])))
        for f in names
        if f in field_before or f in field_after
    )
    cls.__bolt_literals__ = _literal_fields(cls)
    cls.__bolt_model_before__ = tuple(model_before)
    cls.__bolt_model_after__ = tuple(model_after)
    cls.__bolt_computed__ = computed
    config = getattr(cls, "Config", None)
    configs = cls.__bolt_field_configs__
    # read_only_fields/write_only_fields: DRF's spellings of the same sets.
    read_only = (
        set(getattr(config, "read_only", ()) or ())
        | set(getattr(config, "read_only_fields", ()) or ())
        | {f for f, c in configs.items() if c.read_only}
    )
    write_only = (
        set(getattr(config, "write_only", ()) or ())
        | set(getattr(config, "write_only_fields", ()) or ())
        | {f for f, c in configs.items() if c.write_only}
    )
    for f in read_only | write_only:
        if f not in names:
            raise TypeError(f"{cls.__name__}: Config read_only/write_only names {f!r}, which is no field")
    cls.__read_only_fields__ = frozenset(read_only)
    cls.__write_only_fields__ = frozenset(write_only)
    cls.__field_sets__ = dict(getattr(config, "field_sets", {}) or {})
    cls.__source_mapping__ = {f: c.source for f, c in configs.items() if c.source}
    excluded = write_only | {f for f, c in configs.items() if c.exclude}
    cls.__bolt_dump_fields__ = tuple(f for f in names if f not in excluded)
    cls.__bolt_output_differs__ = bool(excluded or computed)
    cls.__bolt_output_cache__ = None


def _literal_fields(cls: Any) -> tuple[tuple[str, str, tuple[Any, ...]], ...]:
    """``(attr, json name, allowed values)`` of the fields typed ``Literal[...]`` (optional ones
    allow None); empty when an annotation cannot be resolved yet (a forward reference)."""
    try:
        hints = typing.get_type_hints(cls)
    except NameError:
        return ()
    out = []
    for f in cls.__struct_fields__:
        tp = hints.get(f)
        values: tuple[Any, ...] = ()
        if typing.get_origin(tp) is typing.Literal:
            values = typing.get_args(tp)
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = typing.get_args(tp)
            lits = [a for a in args if typing.get_origin(a) is typing.Literal]
            if len(lits) == 1 and len(args) == 2 and type(None) in args:
                values = (*typing.get_args(lits[0]), None)
        if values:
            out.append((f, cls.__struct_encode_fields__[f], values))
    return tuple(out)


def _computed_getter(method_name: str) -> property:
    return property(lambda self: getattr(self, method_name)(), doc=f"the value of {method_name}()")


def _output_type(cls: Any) -> type:
    """The Struct the response plan of ``cls`` is compiled from: the written fields (values read
    by attribute from a Serializer instance) and one field per computed field, read through a
    ``__bolt_cf_<name>`` property that calls the method."""
    if cls.__dict__.get("__bolt_output_cache__") is not None:
        return cls.__bolt_output_cache__
    hints = typing.get_type_hints(cls, include_extras=True)
    ann: dict[str, Any] = {}
    ns: dict[str, Any] = {"__annotations__": ann, "__module__": cls.__module__}
    defaults = cls.__struct_defaults__
    json = cls.__struct_encode_fields__
    for f in cls.__bolt_dump_fields__:
        ann[f] = hints.get(f, Any)
        d = defaults.get(f, NODEFAULT)
        if isinstance(d, _Field):
            ns[f] = _struct_field(default_factory=d.default_factory, name=json[f])
        elif d is not NODEFAULT:
            ns[f] = _struct_field(default=d, name=json[f]) if not isinstance(d, (list, dict, set)) else d
        else:
            ns[f] = _struct_field(name=json[f])
    for key, c in cls.__bolt_computed__.items():
        attr = f"_bolt_cf_{c.method_name}"
        if not isinstance(cls.__dict__.get(attr), property):
            setattr(cls, attr, _computed_getter(c.method_name))
        ann[attr] = c.return_type
        ns[attr] = _struct_field(name=key)
    cfg = cls.__struct_config__
    out = StructMeta(
        f"{cls.__name__}Output",
        (Struct,),
        ns,
        kw_only=True,
        omit_defaults=cfg["omit_defaults"] or None,
        tag=cfg["tag"],
        tag_field=cfg["tag_field"] if cfg["tag"] is not None else None,
    )
    out.__qualname__ = f"{cls.__qualname__}.Output"
    cls.__bolt_output_cache__ = out
    return out


class Serializer(Struct, metaclass=SerializerMeta):
    """A ``Struct`` with validation and Django model integration (django-bolt's ``Serializer``).

    Keyword-only construction; ``@field_validator``/``@model_validator`` run on every instance
    (decoded bodies and direct construction); ``@computed_field`` methods are added to the
    output; ``class Config`` may set ``model``, ``read_only``, ``write_only`` and
    ``field_sets``::

        class UserSerializer(Serializer):
            id: int = field(read_only=True, default=0)
            email: Email
            password: str = field(write_only=True)

            @field_validator("email")
            def lower(cls, value):
                return value.lower()

            @computed_field
            def domain(self) -> str:
                return self.email.split("@")[1]
    """

    __is_bolt_serializer__: ClassVar[bool] = True
    __bolt_field_validators__: ClassVar[tuple] = ()
    __bolt_literals__: ClassVar[tuple] = ()
    __bolt_model_before__: ClassVar[tuple] = ()
    __bolt_model_after__: ClassVar[tuple] = ()
    __bolt_computed__: ClassVar[dict[str, ComputedFieldConfig]] = {}
    __bolt_field_configs__: ClassVar[dict[str, FieldConfig]] = {}
    __bolt_user_post_init__: ClassVar[Any] = None
    __read_only_fields__: ClassVar[frozenset[str]] = frozenset()
    __write_only_fields__: ClassVar[frozenset[str]] = frozenset()
    __field_sets__: ClassVar[dict[str, list[str]]] = {}
    __source_mapping__: ClassVar[dict[str, str]] = {}

    class Config:
        """Per-class options: ``model``, ``read_only``, ``write_only``, ``field_sets``."""

        model: Any = None
        read_only: set[str] = set()
        write_only: set[str] = set()
        field_sets: dict[str, list[str]] = {}

    # --- output -----------------------------------------------------------------------------

    @classmethod
    def __bolt_output_type__(cls) -> type:
        """The type responses declared as this class are encoded along (see module doc)."""
        return _output_type(cls) if cls.__bolt_output_differs__ else cls

    def __bolt_dump__(self) -> dict[str, Any]:
        """What the JSON encoder writes for an instance met without a declared type."""
        return self.dump()

    def dump(
        self,
        *,
        exclude_none: bool = False,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        by_alias: bool = False,
    ) -> dict[str, Any]:
        """The output as a dict keyed by JSON name: no write-only or excluded fields, computed
        fields added, nested Serializers dumped. ``exclude_unset`` is accepted and treated as
        ``exclude_defaults`` (instances do not record which fields were given)."""
        return _dump(self, None, None, exclude_none, exclude_defaults or exclude_unset, by_alias)

    def dump_json(self, **options: Any) -> bytes:
        """``dump()`` encoded as JSON bytes (in Rust)."""
        from ..json import encode

        if not options and not type(self).__bolt_output_differs__:
            return encode(self)
        return encode(self.dump(**options))

    @classmethod
    def dump_many(cls, instances: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
        """``dump()`` of each instance."""
        return [i.dump(**options) for i in instances]

    @classmethod
    def dump_many_json(cls, instances: Iterable[Any], **options: Any) -> bytes:
        """``dump_many()`` encoded as a JSON array."""
        from ..json import encode

        return encode(cls.dump_many(instances, **options))

    def to_dict(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        """Every field (write-only ones too) keyed by attribute name, values as they are: what
        ``Model.objects.create(**s.to_dict())`` wants."""
        return {f: getattr(self, f) for f in self.__struct_fields__}

    # --- input ------------------------------------------------------------------------------

    @classmethod
    def model_validate(cls: type[T], data: Any) -> T:
        """Builds an instance from a dict (or a JSON-able value) with the same checks a request
        body gets (types, ``Meta`` constraints, validators); raises ``RequestValidationError``
        listing every failure (``loc`` starting at ``"body"``)."""
        from ..json import encode

        return cls.model_validate_json(encode(data))

    @classmethod
    def model_validate_json(cls: type[T], data: str | bytes) -> T:
        """``model_validate`` from JSON text."""
        from ..json import ValidationError, decode

        try:
            return decode(data, type=cls)
        except ValidationError as e:
            errors = _Errors({**err, "loc": ["body", *err["loc"]]} for err in e.errors)
            exc = RequestValidationError(errors)
            exc.errors = errors
            raise exc from None

    def validate(self: T) -> T:
        """A new instance checked as a request body would be (types, constraints, validators)."""
        return type(self).model_validate(self.to_dict())

    # --- Django models ----------------------------------------------------------------------

    @classmethod
    def from_model(cls: type[T], instance: Any, *, max_depth: int = 10, _depth: int = 0) -> T:
        """An instance from a Django model instance: each field read from the attribute of the
        same name (or its ``source`` path); nested Serializers from related objects; a
        ForeignKey typed as a scalar reads the key (``author_id``). Does not query beyond what
        attribute access does: in async code use ``afrom_model`` or ``select_related``."""
        return from_model(cls, instance, max_depth=max_depth, depth=_depth)

    @classmethod
    async def afrom_model(cls: type[T], instance: Any, *, max_depth: int = 10) -> T:
        """``from_model`` from async code: runs on a thread, so unloaded relations may load."""
        from asgiref.sync import sync_to_async

        return await sync_to_async(cls.from_model, thread_sensitive=True)(instance, max_depth=max_depth)

    @classmethod
    def from_models(cls: type[T], objects: Iterable[Any]) -> list[T]:
        """``from_model`` of each object. A QuerySet first gets this serializer's loading plan
        (``loading_plan``: ``select_related`` for relations read through a ForeignKey,
        ``prefetch_related`` for many-to-many and reverse ones), so the batch costs a bounded
        number of queries; a list is used as it is."""
        return [cls.from_model(o) for o in cls._prepared(objects)]

    @classmethod
    async def afrom_models(cls: type[T], objects: Any) -> list[T]:
        """``from_models`` from async code: a QuerySet (with the loading plan) is iterated with
        the async ORM."""
        objects = cls._prepared(objects)
        if hasattr(objects, "__aiter__"):
            rows = [o async for o in objects]
        else:
            rows = list(objects)
        return [cls.from_model(o) for o in rows]

    @classmethod
    def loading_plan(cls, model: Any) -> tuple[list[str], list[str]]:
        """``(select_related, prefetch_related)`` lookups ``from_model`` needs on ``model``."""
        return loading_plan(cls, model)

    @classmethod
    def _prepared(cls, objects: Any) -> Any:
        model = getattr(objects, "model", None)
        if model is None or not hasattr(objects, "select_related"):
            return objects
        select, prefetch = cls.loading_plan(model)
        if select:
            objects = objects.select_related(*select)
        if prefetch:
            objects = objects.prefetch_related(*prefetch)
        return objects

    def to_model(self, model_class: Any) -> Any:
        """An unsaved ``model_class`` instance from the fields."""
        return model_class(**self.to_dict())

    def update_instance(self, instance: Any) -> Any:
        """Sets each field on ``instance`` (not saved); with ``omit_defaults`` fields equal to
        their default are left alone."""
        omit = self.__struct_config__["omit_defaults"]
        defaults = self.__struct_defaults__
        for f in self.__struct_fields__:
            value = getattr(self, f)
            if omit and f in defaults and not isinstance(defaults[f], _Field) and value == defaults[f]:
                continue
            setattr(instance, f, value)
        return instance

    # --- field selection --------------------------------------------------------------------

    @classmethod
    def only(cls: type[T], *fields: str) -> SerializerView:
        """A view that dumps only these fields (computed ones included)."""
        return SerializerView(cls, include=frozenset(fields))

    @classmethod
    def exclude(cls: type[T], *fields: str) -> SerializerView:
        """A view that dumps every field but these."""
        return SerializerView(cls, exclude=frozenset(fields))

    @classmethod
    def use(cls: type[T], field_set: str) -> SerializerView:
        """A view of the fields of ``Config.field_sets[field_set]``."""
        return cls.only(*_field_set(cls, field_set))

    @classmethod
    def subset(cls: type[T], *fields: str, name: str | None = None) -> type[T]:
        """A new Serializer class with only these fields (and computed fields), usable as a
        body or response type; ``from_parent(instance)`` builds one from a full instance."""
        return subset(cls, fields, name)

    @classmethod
    def fields(cls: type[T], field_set: str, *, name: str | None = None) -> type[T]:
        """``subset()`` of ``Config.field_sets[field_set]``."""
        return cls.subset(*_field_set(cls, field_set), name=name or f"{cls.__name__}{field_set.title()}")


def _field_set(cls: Any, name: str) -> list[str]:
    try:
        return list(cls.__field_sets__[name])
    except KeyError:
        raise ValueError(
            f"field set {name!r} not found in {cls.__name__} (Config.field_sets: {sorted(cls.__field_sets__)})"
        ) from None


def _dump(
    obj: Serializer,
    include: frozenset[str] | None,
    exclude: frozenset[str] | None,
    exclude_none: bool,
    exclude_defaults: bool,
    by_alias: bool,
) -> dict[str, Any]:
    cls = type(obj)
    out: dict[str, Any] = {}
    if cls.__struct_config__["tag"] is not None:
        out[cls.__struct_config__["tag_field"]] = cls.__struct_config__["tag"]
    json = cls.__struct_encode_fields__
    configs = cls.__bolt_field_configs__
    defaults = cls.__struct_defaults__
    for f in cls.__bolt_dump_fields__:
        if (include is not None and f not in include) or (exclude is not None and f in exclude):
            continue
        value = getattr(obj, f)
        if exclude_none and value is None:
            continue
        if exclude_defaults and f in defaults:
            d = defaults[f]
            if (isinstance(d, _Field) and value == d.default_factory()) or (not isinstance(d, _Field) and value == d):
                continue
        alias = configs[f].alias if by_alias and f in configs else None
        out[alias or json[f]] = _dump_value(value, exclude_none, exclude_defaults, by_alias)
    for key, c in cls.__bolt_computed__.items():
        if (include is not None and key not in include) or (exclude is not None and key in exclude):
            continue
        value = getattr(obj, c.method_name)()
        if exclude_none and value is None:
            continue
        out[key] = _dump_value(value, exclude_none, exclude_defaults, by_alias)
    return out


def _dump_value(value: Any, exclude_none: bool, exclude_defaults: bool, by_alias: bool) -> Any:
    if isinstance(value, Serializer):
        return _dump(value, None, None, exclude_none, exclude_defaults, by_alias)
    if isinstance(value, list) and value and isinstance(value[0], Serializer):
        return [_dump_value(v, exclude_none, exclude_defaults, by_alias) for v in value]
    return value


class SerializerView:
    """A Serializer class with a field selection, from ``only()``/``exclude()``/``use()``."""

    __slots__ = ("cls", "include", "exclude_fields")

    def __init__(
        self, cls: type[Serializer], include: frozenset[str] | None = None, exclude: frozenset[str] | None = None
    ) -> None:
        known = set(cls.__struct_fields__) | set(cls.__bolt_computed__)
        for f in (include or frozenset()) | (exclude or frozenset()):
            if f not in known:
                raise ValueError(f"{cls.__name__} has no field {f!r}")
        self.cls, self.include, self.exclude_fields = cls, include, exclude

    def only(self, *fields: str) -> SerializerView:
        """Narrows the view to these fields."""
        inc = frozenset(fields) if self.include is None else self.include & frozenset(fields)
        return SerializerView(self.cls, inc, self.exclude_fields)

    def exclude(self, *fields: str) -> SerializerView:
        """Removes these fields from the view."""
        return SerializerView(self.cls, self.include, (self.exclude_fields or frozenset()) | frozenset(fields))

    def from_model(self, instance: Any, **kw: Any) -> Serializer:
        """The class's ``from_model``."""
        return self.cls.from_model(instance, **kw)

    async def afrom_model(self, instance: Any, **kw: Any) -> Serializer:
        """The class's ``afrom_model``."""
        return await self.cls.afrom_model(instance, **kw)

    def dump(self, instance: Serializer, **options: Any) -> dict[str, Any]:
        """``instance.dump(...)`` limited to the view's fields."""
        return _dump(
            instance,
            self.include,
            self.exclude_fields,
            options.get("exclude_none", False),
            options.get("exclude_defaults", False) or options.get("exclude_unset", False),
            options.get("by_alias", False),
        )

    def dump_many(self, instances: Iterable[Serializer], **options: Any) -> list[dict[str, Any]]:
        """``dump`` of each instance."""
        return [self.dump(i, **options) for i in instances]

    def dump_json(self, instance: Serializer, **options: Any) -> bytes:
        """``dump`` as JSON bytes."""
        from ..json import encode

        return encode(self.dump(instance, **options))

    def dump_many_json(self, instances: Iterable[Serializer], **options: Any) -> bytes:
        """``dump_many`` as a JSON array."""
        from ..json import encode

        return encode(self.dump_many(instances, **options))


# -- Serializers and Django model instances ------------------------------------------------


def _serializer_of(tp: Any) -> tuple[Any, bool] | None:
    """``(SerializerClass, many)`` when ``tp`` is a Serializer, ``list[Serializer]`` or one of
    them optional; else None."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _serializer_of(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        return _serializer_of(rest[0]) if len(rest) == 1 else None
    if origin in (list, tuple, set, typing.Sequence) and typing.get_args(tp):
        inner = typing.get_args(tp)[0]
        if isinstance(inner, type) and issubclass(inner, Serializer):
            return inner, True
        return None
    if isinstance(tp, type) and issubclass(tp, Serializer):
        return tp, False
    return None


def _is_many_manager(value: Any) -> bool:
    return hasattr(value, "all") and hasattr(value, "model") and not isinstance(value, type)


def from_model(cls: Any, instance: Any, *, max_depth: int, depth: int) -> Any:
    """See ``Serializer.from_model``."""
    if depth > max_depth:
        raise ValueError(f"{cls.__name__}.from_model: nested deeper than max_depth={max_depth} (circular serializers?)")
    hints = typing.get_type_hints(cls, include_extras=True)
    sources = cls.__source_mapping__
    meta = getattr(type(instance), "_meta", None)
    data: dict[str, Any] = {}
    for f in cls.__struct_fields__:
        tp = hints.get(f, Any)
        nested = _serializer_of(tp)
        path = sources.get(f)
        try:
            if path is not None:
                value: Any = instance
                for part in path.split("."):
                    value = getattr(value, part)
                    if value is None:
                        break
            else:
                value = _model_attr(instance, meta, f, nested is not None)
        except AttributeError:
            if f in cls.__struct_defaults__:
                continue  # left to its default
            raise
        if callable(value) and not _is_many_manager(value) and not isinstance(value, type):
            value = value()  # a model method named as the field (get_full_name, say)
        if _is_many_manager(value):
            items = list(value.all())
            if nested is not None:
                value = [nested[0].from_model(o, max_depth=max_depth, _depth=depth + 1) for o in items]
            else:
                value = [getattr(o, "pk", o) for o in items]
        elif nested is not None and value is not None:
            ser, many = nested
            if many:
                value = [ser.from_model(o, max_depth=max_depth, _depth=depth + 1) for o in value]
            elif not isinstance(value, ser):
                value = ser.from_model(value, max_depth=max_depth, _depth=depth + 1)
        data[f] = value
    return cls(**data)


def loading_plan(
    cls: Any, model: Any, prefix: str = "", under_prefetch: bool = False, depth: int = 0
) -> tuple[list[str], list[str]]:
    """See ``Serializer.loading_plan``: walks each field's name (or ``source`` path) through the
    model's relations. A ForeignKey read as its key needs nothing; one read through (a nested
    Serializer, ``source="author.name"``) is a ``select_related``; a many-to-many or reverse
    relation is a ``prefetch_related``. Nested Serializers add their own lookups below the
    relation's (as prefetches once under a prefetch)."""
    select: list[str] = []
    prefetch: list[str] = []
    if depth > 8:  # circular serializers: from_model's max_depth reports them
        return select, prefetch
    hints = typing.get_type_hints(cls, include_extras=True)
    for f in cls.__struct_fields__:
        nested = _serializer_of(hints.get(f, Any))
        path = (cls.__source_mapping__.get(f) or f).split(".")
        current, lookup, many = model, [], under_prefetch
        for i, part in enumerate(path):
            try:
                mf = current._meta.get_field(part)
            except Exception:  # noqa: BLE001 - a property or a method: nothing to load
                break
            if not mf.is_relation or mf.related_model is None:
                break
            last = i == len(path) - 1
            if not (mf.many_to_many or mf.one_to_many) and last and nested is None:
                break  # a ForeignKey read as its key: no join
            lookup.append(part)
            many = many or mf.many_to_many or mf.one_to_many
            (prefetch if many else select).append(prefix + "__".join(lookup))
            current = mf.related_model
            if last and nested is not None:
                sub = loading_plan(nested[0], current, prefix + "__".join(lookup) + "__", many, depth + 1)
                select += sub[0]
                prefetch += sub[1]
            if many:
                break  # what lies beyond a prefetch is the nested Serializer's to say
    return list(dict.fromkeys(select)), list(dict.fromkeys(prefetch))


def _model_attr(instance: Any, meta: Any, name: str, nested: bool) -> Any:
    """``instance.<name>``; for a ForeignKey/OneToOne typed as a scalar, the key itself
    (``author_id``) so no query is made."""
    if meta is not None and not nested:
        try:
            mf = meta.get_field(name)
        except Exception:  # noqa: BLE001 - not a model field (a property, an annotation)
            mf = None
        if mf is not None and (mf.many_to_one or mf.one_to_one) and getattr(mf, "concrete", False):
            return getattr(instance, mf.attname)
    return getattr(instance, name)


def subset(cls: Any, fields: tuple[str, ...], name: str | None) -> Any:
    """See ``Serializer.subset``."""
    hints = typing.get_type_hints(cls, include_extras=True)
    known = set(cls.__struct_fields__)
    computed = {c.method_name: c for c in cls.__bolt_computed__.values()}
    computed_keys = {k: c.method_name for k, c in cls.__bolt_computed__.items()}
    for f in fields:
        if f not in known and f not in computed and f not in computed_keys:
            raise ValueError(f"{cls.__name__} has no field {f!r}")
    wanted = [f for f in cls.__struct_fields__ if f in fields]
    ann: dict[str, Any] = {}
    ns: dict[str, Any] = {"__annotations__": ann, "__module__": cls.__module__, "__qualname__": name or ""}
    for f in wanted:
        ann[f] = hints.get(f, Any)
        d = cls.__struct_defaults__.get(f, NODEFAULT)
        if isinstance(d, _Field):
            ns[f] = _struct_field(default_factory=d.default_factory)
        elif d is not NODEFAULT:
            ns[f] = d
    keep_methods = {computed_keys.get(f, f) for f in fields if f in computed or f in computed_keys}
    for klass in reversed(cls.__mro__):
        for attr, raw in vars(klass).items():
            fn = getattr(raw, "__func__", raw)
            mark = getattr(fn, "__bolt_field_validator__", None)
            if (mark is not None and mark[0] in wanted) or attr in keep_methods:
                ns[attr] = raw
            elif getattr(fn, "__bolt_model_validator__", None) is not None:
                continue  # cross-field rules may read fields the subset does not have
    configs = {f: c for f, c in cls.__bolt_field_configs__.items() if f in wanted}

    class Config:
        read_only = set(cls.__read_only_fields__) & set(wanted)
        write_only = set(cls.__write_only_fields__) & set(wanted)
        field_sets: dict[str, list[str]] = {}
        model = getattr(getattr(cls, "Config", None), "model", None)

    ns["Config"] = Config
    new_name = name or f"{cls.__name__}Subset"
    ns["__qualname__"] = new_name
    cfg = cls.__struct_config__
    new = SerializerMeta(new_name, (Serializer,), ns, rename=cfg["rename"], omit_defaults=cfg["omit_defaults"] or None)
    new.__bolt_field_configs__ = {**new.__bolt_field_configs__, **configs}
    new.__source_mapping__ = {f: c.source for f, c in new.__bolt_field_configs__.items() if c.source}

    def from_parent(sub: Any, instance: Any) -> Any:
        return sub(**{f: getattr(instance, f) for f in sub.__struct_fields__ if hasattr(instance, f)})

    new.from_parent = classmethod(from_parent)
    return new
