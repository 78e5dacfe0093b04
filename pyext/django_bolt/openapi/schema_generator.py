"""The OpenAPI 3.1 document of a set of routes.

Everything in it is read from what the server itself runs on: parameters from each route's
``ParamPlan``s (the tuples Rust extracts and coerces with), bodies and responses from
``schema.describe`` (the description every Rust type plan is compiled from), statuses from what
the route can answer (its authenticators, guards, rate limit, body), so the document cannot say
something the server does not do.

>>> doc = generate(merge_routes(apis), OpenAPIConfig(title="Shop", version="2.0.0"))
>>> doc["paths"]["/items/{id}"]["get"]["parameters"][0]["schema"]
{'type': 'integer'}

Generated once per interpreter at start-up (a few milliseconds for a hundred routes), and
deterministic: the same routes give the same document, byte for byte.
"""

from __future__ import annotations

import dataclasses
import enum
import http
import inspect
import json as _json
import re
import typing
from typing import TYPE_CHECKING, Any

from .._plans import (
    F_DEFAULT,
    F_EMBED,
    F_LIST,
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
    ParamPlan,
)
from .spec import to_schema

if TYPE_CHECKING:
    from ..api import Route
    from .config import OpenAPIConfig

__all__ = ["generate", "VALIDATION_ERROR", "HTTP_VALIDATION_ERROR"]

OPENAPI_VERSION = "3.1.0"

#: A decimal as text: what ``Decimal()`` parses and ``str(Decimal)`` writes (finite values).
DECIMAL_PATTERN = r"^\s*[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+)?\s*$"

#: One entry of a 422's ``detail``, exactly as src/validation renders a ``ValidationIssue``.
VALIDATION_ERROR: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "type": {"type": "string", "title": "Error Type", "examples": ["int_parsing"]},
        "loc": {
            "type": "array",
            "title": "Location",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "examples": [["query", "page"]],
        },
        "msg": {"type": "string", "title": "Message"},
        "input": {"title": "Input", "description": "The value that failed (null when it was missing)"},
        "ctx": {"type": "object", "title": "Context"},
    },
    "required": ["type", "loc", "msg", "input"],
}
#: The body of a 422: every failure of the request at once.
HTTP_VALIDATION_ERROR: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {"type": "array", "title": "Detail", "items": {"$ref": "#/components/schemas/ValidationError"}}
    },
    "required": ["detail"],
}
#: The body of every other error bolt answers (``{"detail": ...}``, HTTPException's too).
HTTP_ERROR: dict[str, Any] = {
    "title": "HTTPError",
    "type": "object",
    "properties": {"detail": {"title": "Detail"}},
    "required": ["detail"],
}

_REF = "#/components/schemas/"
#: Placeholder prefix of a record's reference until component names are settled.
_PENDING = "\x00ref:"

_KIND_SCHEMAS: dict[int, dict[str, Any]] = {
    K_STR: {"type": "string"},
    K_ANY: {"type": "string"},
    K_INT: {"type": "integer"},
    K_FLOAT: {"type": "number"},
    K_BOOL: {"type": "boolean"},
    K_UUID: {"type": "string", "format": "uuid"},
    K_DATE: {"type": "string", "format": "date"},
    K_DATETIME: {"type": "string", "format": "date-time"},
    # Query/header text: Decimal() parses any number's text.
    K_DECIMAL: {"type": "number"},
    K_TIME: {"type": "string", "format": "time"},
}
_LOCATIONS = {SRC_PATH: "path", SRC_QUERY: "query", SRC_HEADER: "header", SRC_COOKIE: "cookie"}
_NO_BODY = (204, 205, 304)
_REDIRECTS = (301, 302, 303, 307, 308)


def generate(routes: list[Route], config: OpenAPIConfig) -> dict[str, Any]:
    """The document (a JSON-ready dict) for ``routes`` under ``config``.

    Routes with ``include_in_schema=False``, under ``config.path`` (the docs themselves) or under
    one of ``config.exclude_paths`` are left out. Raises ``ValueError`` for two operations with
    the same ``operation_id``, and with ``config.strict`` for untyped JSON responses and
    component names that had to be qualified by module.
    """
    return _Document(config).build(routes)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


def _openapi_path(path: str) -> str:
    """``/files/{rest:path}`` -> ``/files/{rest}``."""
    return re.sub(r"\{([^}:]+):[^}]*\}", r"{\1}", path)


def _excluded(path: str, prefixes: list[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes if p)


def _jsonable(value: Any) -> tuple[bool, Any]:
    """(True, the JSON value bolt would write for ``value``), or (False, None)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, (str, bool, int)):
        return True, value
    if isinstance(value, float):
        return (value == value and value not in (float("inf"), float("-inf"))), value
    try:
        from ..json import encode

        return True, _json.loads(encode(value))
    except Exception:  # noqa: BLE001 - a default that does not encode is left undocumented
        return False, None


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null, as 3.1 writes it: ``type: [X, "null"]`` when that says it, else anyOf."""
    t = schema.get("type")
    if isinstance(t, str) and "$ref" not in schema and "enum" not in schema and "const" not in schema:
        return {**schema, "type": [t, "null"]}
    if "enum" in schema and isinstance(t, str):
        return {**schema, "type": [t, "null"], "enum": [*schema["enum"], None]}
    if list(schema) == ["anyOf"]:
        return {"anyOf": [*schema["anyOf"], {"type": "null"}]}
    return {"anyOf": [schema, {"type": "null"}]}


def _bounds(schema: dict[str, Any], c: tuple | None) -> dict[str, Any]:
    """Numeric constraints (gt, ge, lt, le, multiple_of) in JSON Schema words."""
    if c is None:
        return schema
    gt, ge, lt, le, multiple_of = c[:5]
    for key, v in (("exclusiveMinimum", gt), ("minimum", ge), ("exclusiveMaximum", lt), ("maximum", le)):
        if v is not None:
            schema[key] = v
    if multiple_of is not None:
        schema["multipleOf"] = multiple_of
    return schema


def _text(schema: dict[str, Any], c: tuple | None) -> dict[str, Any]:
    if c is None:
        return schema
    if c[5] is not None:
        schema["minLength"] = c[5]
    if c[6] is not None:
        schema["maxLength"] = c[6]
    if c[7] is not None:
        schema["pattern"] = c[7]
    return schema


def _items(schema: dict[str, Any], c: tuple | None, lo: str = "minItems", hi: str = "maxItems") -> dict[str, Any]:
    if c is not None:
        if c[5] is not None:
            schema[lo] = c[5]
        if c[6] is not None:
            schema[hi] = c[6]
    return schema


def _docstring(obj: Any) -> str | None:
    doc = getattr(obj, "__doc__", None)
    if not doc:
        return None
    return inspect.cleandoc(doc) or None


def _own_doc(cls: type) -> str | None:
    """A class's own docstring (not a dataclass's generated signature, nor an inherited one)."""
    doc = cls.__dict__.get("__doc__")
    if not doc or (dataclasses.is_dataclass(cls) and doc.startswith(cls.__name__ + "(")):
        return None
    return inspect.cleandoc(doc) or None


def _meta_of(tp: Any) -> Any:
    """The merged ``Meta`` of ``Annotated[T, Meta(...)]`` (description, example), or None."""
    from ..constraints import Meta

    meta = None
    while typing.get_origin(tp) is typing.Annotated:
        tp, *extras = typing.get_args(tp)
        for x in extras:
            if isinstance(x, Meta):
                meta = x.merged(meta) if meta is not None else x
    return meta


def _annotate(schema: dict[str, Any], meta: Any, *, examples: bool = True) -> dict[str, Any]:
    """``description``/``examples`` of a ``Meta`` (or marker) on a schema."""
    if meta is None:
        return schema
    if getattr(meta, "description", None):
        schema = {**schema, "description": meta.description}
    if examples and getattr(meta, "example", None) is not None:
        ok, v = _jsonable(meta.example)
        if ok:
            schema = {**schema, "examples": [v]}
    return schema


def _param_docs(fn: Any, hints_of: Any) -> dict[str, Any]:
    """Plan name -> the marker or ``Meta`` declared for it (descriptions, examples, deprecated),
    for ``fn`` and every dependency it declares: the names of ``Route.params``. ``hints_of(f)``
    gives a callable's resolved annotations."""
    from ..params import _dependency, _param_meta

    out: dict[str, Any] = {}
    seen: set[Any] = set()

    def visit(f: Any) -> None:
        if f in seen:
            return
        seen.add(f)
        try:
            hints = hints_of(f)
            params = inspect.signature(f).parameters.values()
        except (TypeError, ValueError):
            return
        for p in params:
            tp = hints.get(p.name, Any)
            dep = _dependency("", p, tp)
            if dep is not None:
                visit(dep.dependency)
                continue
            tp, marker, meta = _param_meta(tp, p.default)
            if meta is not None:
                out.setdefault(p.name, meta)
            if marker is not None and marker is not meta:
                out.setdefault(p.name + "!marker", marker)

    visit(fn)
    return out


def _declares_markers(fn: Any, params: list[ParamPlan]) -> bool:
    """Whether ``fn``'s parameters may carry a description, example or ``deprecated`` (a marker
    as a default, ``Annotated`` metadata, or dependencies): the annotations are only resolved
    then."""
    from ..params import Depends, Param

    if any(p.group is None and "." not in p.name for p in params) is False:
        return False
    for p in inspect.signature(fn).parameters.values():
        if isinstance(p.default, (Param, Depends)):
            return True
        ann = p.annotation
        if isinstance(ann, str) and "Annotated" in ann:
            return True
        if typing.get_origin(ann) is typing.Annotated:
            return True
    return False


class _Document:
    def __init__(self, config: OpenAPIConfig) -> None:
        self.config = config
        #: Records and enums met so far, in order: class -> component schema (None while built).
        self.components: dict[type, dict[str, Any] | None] = {}
        #: Fixed components (the error bodies), by name.
        self.fixed: dict[str, dict[str, Any]] = {}
        #: Security scheme definition (as a sorted tuple) -> its name.
        self.schemes: dict[tuple, str] = {}
        self.scheme_defs: dict[str, dict[str, Any]] = {}
        self._hints: dict[Any, dict[str, Any]] = {}
        self._types: dict[Any, dict[str, Any]] = {}
        self._fields: dict[type, dict[str, Any]] = {}
        #: For ``config.strict``: operations whose success body says nothing but "JSON", and
        #: components named by module because two classes share a name.
        self.opaque: list[str] = []
        self.qualified: list[str] = []

    def field_metas(self, cls: type) -> dict[str, Any]:
        """Field -> its ``Meta`` (description, example) for a record, once per class."""
        try:
            return self._fields[cls]
        except KeyError:
            pass
        from ..struct import fields

        metas: dict[str, Any] = {}
        annotations = [a for k in cls.__mro__ for a in getattr(k, "__annotations__", {}).values()]
        if any(
            typing.get_origin(a) is typing.Annotated or (isinstance(a, str) and "Annotated" in a) for a in annotations
        ):
            try:
                metas = {attr: _meta_of(ftp) for attr, _, ftp, _ in fields(cls)}
            except TypeError:
                pass
        self._fields[cls] = metas
        return metas

    def return_type(self, fn: Any) -> Any:
        """``fn``'s return annotation, resolved (only it: resolving every annotation of every
        handler would be most of the document's cost)."""
        from ..api import _UNSET

        ann = getattr(fn, "__annotations__", {}).get("return", _UNSET)
        if isinstance(ann, str):
            try:
                ann = eval(ann, getattr(inspect.unwrap(fn), "__globals__", {}))  # noqa: S307 - as typing does
            except Exception:  # noqa: BLE001 - e.g. a name imported under TYPE_CHECKING
                return self.hints(fn).get("return", _UNSET)
        return ann

    def hints(self, fn: Any) -> dict[str, Any]:
        """``fn``'s resolved annotations (``Annotated`` kept), once per callable."""
        try:
            return self._hints[fn]
        except KeyError:
            pass
        try:
            hints = typing.get_type_hints(fn, include_extras=True)
        except Exception:  # noqa: BLE001 - the server started, so what it needs resolved
            hints = {}
        self._hints[fn] = hints
        return hints

    # --- the document ------------------------------------------------------------------------

    def build(self, routes: list[Route]) -> dict[str, Any]:
        cfg = self.config
        info: dict[str, Any] = {"title": cfg.title, "version": cfg.version}
        for key, value in (
            ("summary", cfg.summary),
            ("description", cfg.description),
            ("termsOfService", cfg.terms_of_service),
            ("contact", cfg.contact),
            ("license", cfg.license),
        ):
            if value is not None:
                info[key] = to_schema(value)
        doc: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info}
        if cfg.servers:
            doc["servers"] = to_schema(cfg.servers)
        paths: dict[str, dict[str, Any]] = {}
        operation_ids: dict[str, Route] = {}
        used_tags: list[str] = []
        for r in routes:
            if not getattr(r, "include_in_schema", True):
                continue
            if _excluded(r.path, [cfg.path, *cfg.exclude_paths]):
                continue
            op = self.operation(r)
            oid = op["operationId"]
            if oid in operation_ids:
                if r.operation_id is not None:
                    other = operation_ids[oid]
                    raise ValueError(
                        f"operation_id {oid!r} is used twice: {other.method} {other.path} and {r.method} {r.path}"
                    )
                n = 2
                while f"{oid}_{n}" in operation_ids:
                    n += 1
                oid = op["operationId"] = f"{oid}_{n}"
            operation_ids[oid] = r
            used_tags.extend(t for t in op.get("tags", []) if t not in used_tags)
            paths.setdefault(_openapi_path(r.path), {})[r.method.lower()] = op
        doc["paths"] = paths
        if cfg.webhooks:
            doc["webhooks"] = to_schema(cfg.webhooks)
        components = self.finish_components()
        if components:
            doc["components"] = components
        if cfg.security:
            doc["security"] = to_schema(cfg.security)
        tags = [to_schema(t) for t in (cfg.tags or [])]
        named = {t["name"] if isinstance(t, dict) else t for t in tags}
        tags += [{"name": t} for t in used_tags if t not in named]
        if tags:
            doc["tags"] = [t if isinstance(t, dict) else {"name": t} for t in tags]
        if cfg.external_docs is not None:
            doc["externalDocs"] = to_schema(cfg.external_docs)
        doc = self.settle_names(doc)
        if cfg.strict and (self.opaque or self.qualified):
            problems = []
            if self.opaque:
                problems.append(
                    "routes whose response is untyped JSON (add a return annotation or response_model): "
                    + ", ".join(self.opaque)
                )
            if self.qualified:
                problems.append(
                    "components named by module because two types share a name (rename one): "
                    + ", ".join(self.qualified)
                )
            raise ValueError("OpenAPI strict mode: " + "; ".join(problems))
        return doc

    def finish_components(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        user = to_schema(self.config.components) if self.config.components else {}
        if not isinstance(user, dict):
            user = {}
        schemas = {**{_PENDING + self.key(cls): s for cls, s in self.components.items()}, **self.fixed}
        schemas.update(user.get("schemas", {}))
        if schemas:
            out["schemas"] = schemas
        schemes = {**self.scheme_defs, **user.get("securitySchemes", {})}
        if schemes:
            out["securitySchemes"] = dict(sorted(schemes.items()))
        for k, v in user.items():
            if k not in ("schemas", "securitySchemes"):
                out[k] = v
        return out

    def key(self, cls: type) -> str:
        return f"{cls.__module__}.{cls.__qualname__}#{list(self.components).index(cls)}"

    def settle_names(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Gives each record its component name (its class name; module-qualified when two
        classes share one) and rewrites every pending reference, then sorts the components."""
        classes = list(self.components)
        by_name: dict[str, list[type]] = {}
        for cls in classes:
            by_name.setdefault(cls.__name__, []).append(cls)
        taken = set(self.fixed)
        names: dict[str, str] = {}
        for cls in classes:
            short = cls.__name__
            name = short
            if len(by_name[short]) > 1 or short in taken:
                name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{cls.__module__}.{cls.__qualname__}")
                self.qualified.append(name)
            base, n = name, 2
            while name in taken:
                name, n = f"{base}_{n}", n + 1
            taken.add(name)
            names[_PENDING + self.key(cls)] = name

        def walk(v: Any) -> Any:
            if isinstance(v, dict):
                return {names.get(k, k): walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, str) and v.startswith(_REF + _PENDING):
                return _REF + names[v[len(_REF) :]]
            return v

        doc = walk(doc)
        schemas = doc.get("components", {}).get("schemas")
        if schemas:
            doc["components"]["schemas"] = dict(sorted(schemas.items()))
        return doc

    # --- one operation -----------------------------------------------------------------------

    def operation(self, r: Route) -> dict[str, Any]:
        op: dict[str, Any] = {}
        if r.tags:
            op["tags"] = list(r.tags)
        op["summary"] = r.summary or r.name.replace("_", " ").strip().title()
        description = r.description
        if description is None and self.config.use_handler_docstrings:
            description = _docstring(r.handler)
        if description:
            op["description"] = description
        op["operationId"] = r.operation_id or self.operation_id(r)
        params = [p for p in r.params if not (p.name.startswith("__") and p.name.endswith("__"))]
        docs = _param_docs(r.handler, self.hints) if _declares_markers(r.handler, params) else {}
        for p in params:
            if p.group is not None:
                attr = p.name.partition(".")[2]
                meta = self.field_metas(p.group).get(attr)
                if meta is not None:
                    docs[p.name] = meta
        parameters = [self.parameter(p, docs) for p in params if p.source in _LOCATIONS]
        if parameters:
            op["parameters"] = parameters
        body = self.request_body(r, params, docs)
        if body is not None:
            op["requestBody"] = body
        op["responses"] = self.responses(r, params)
        if r.deprecated:
            op["deprecated"] = True
        security = self.security(r)
        if security is not None:
            op["security"] = security
        if r.openapi_extra:
            op.update(to_schema(r.openapi_extra))
        return op

    @staticmethod
    def operation_id(r: Route) -> str:
        """FastAPI's: name, path and method (``read_item_items__id__get``)."""
        return re.sub(r"\W", "_", f"{r.name}{_openapi_path(r.path)}") + "_" + r.method.lower()

    # --- parameters ----------------------------------------------------------------------------

    def scalar(self, p: ParamPlan) -> dict[str, Any]:
        """The schema of one value of a path/query/header/cookie/form parameter (a list's item)."""
        c = p.constraints
        if p.kind == K_MODEL:
            from ..schema import describe, type_of_plan

            root, defs = describe(type_of_plan(p.model))
            schema = self.node(root, defs, text=True)
        else:
            schema = dict(_KIND_SCHEMAS[p.kind])
            if p.kind in (K_INT, K_FLOAT, K_DECIMAL):
                _bounds(schema, c)
            elif p.kind in (K_STR, K_ANY):
                # A list's lengths bound its items' text too: Rust checks each value against them.
                _text(schema, c)
        if p.flags & F_LIST:
            schema = _items({"type": "array", "items": schema}, c)
        return schema

    def parameter(self, p: ParamPlan, docs: dict[str, Any]) -> dict[str, Any]:
        where = _LOCATIONS[p.source]
        schema = self.scalar(p)
        required = p.source == SRC_PATH or not p.flags & F_DEFAULT
        if not required and p.default is not None:
            ok, v = _jsonable(p.default)
            if ok:
                schema = {**schema, "default": v}
        out: dict[str, Any] = {"name": p.key, "in": where, "required": required}
        meta = docs.get(p.name)
        marker = docs.get(p.name + "!marker", meta)
        if meta is not None and meta.description:
            out["description"] = meta.description
        if getattr(marker, "deprecated", False):
            out["deprecated"] = True
        out["schema"] = schema
        if p.flags & F_LIST:
            out["style"] = "form" if where in ("query", "cookie") else "simple"
            out["explode"] = where == "query"
        if meta is not None and meta.example is not None:
            ok, v = _jsonable(meta.example)
            if ok:
                out["example"] = v
        return out

    # --- request bodies ------------------------------------------------------------------------

    def request_body(self, r: Route, params: list[ParamPlan], docs: dict[str, Any]) -> dict[str, Any] | None:
        bodies = [p for p in params if p.source == SRC_BODY]
        forms = [p for p in params if p.source in (SRC_FORM, SRC_FILE)]
        if bodies:
            if len(bodies) == 1 and not bodies[0].flags & F_EMBED:
                p = bodies[0]
                schema = _annotate(self.type_schema(self.body_type(p)), docs.get(p.name))
                required = not p.flags & F_DEFAULT
            else:
                props: dict[str, Any] = {}
                needed = []
                for p in bodies:
                    s = _annotate(self.type_schema(self.body_type(p)), docs.get(p.name))
                    if p.flags & F_DEFAULT:
                        ok, v = _jsonable(p.default)
                        if ok and p.default is not None:
                            s = {**s, "default": v}
                    else:
                        needed.append(p.key)
                    props[p.key] = s
                schema = {"type": "object", "properties": props}
                if needed:
                    schema["required"] = needed
                required = bool(needed)
            return {"required": required, "content": {"application/json": {"schema": schema}}}
        if forms:
            props = {}
            needed = []
            encoding: dict[str, Any] = {}
            for p in forms:
                if p.source == SRC_FILE:
                    s: dict[str, Any] = {
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": "application/octet-stream",
                    }
                    if p.flags & F_LIST:
                        s = {"type": "array", "items": s}
                else:
                    s = self.scalar(p)
                    if p.flags & F_DEFAULT and p.default is not None:
                        ok, v = _jsonable(p.default)
                        if ok:
                            s = {**s, "default": v}
                meta = docs.get(p.name)
                if meta is not None and meta.description:
                    s = {**s, "description": meta.description}
                if not p.flags & F_DEFAULT:
                    needed.append(p.key)
                props[p.key] = s
                if p.flags & F_LIST and p.source == SRC_FORM:
                    encoding[p.key] = {"style": "form", "explode": True}
            schema = {"type": "object", "properties": props}
            if needed:
                schema["required"] = needed
            content: dict[str, Any] = {}
            multipart: dict[str, Any] = {"schema": schema}
            if encoding:
                multipart["encoding"] = encoding
            if not any(p.source == SRC_FILE for p in forms):
                content["application/x-www-form-urlencoded"] = dict(multipart)
            content["multipart/form-data"] = multipart
            return {"required": bool(needed), "content": content}
        return None

    @staticmethod
    def body_type(p: ParamPlan) -> Any:
        from ..params import DeferredPlan
        from ..schema import type_of_plan

        return p.model.tp if isinstance(p.model, DeferredPlan) else type_of_plan(p.model)

    # --- responses -----------------------------------------------------------------------------

    def responses(self, r: Route, params: list[ParamPlan]) -> dict[str, Any]:
        from ..api import _UNSET, _is_response_class

        out: dict[int, dict[str, Any]] = {}
        status = r.status_code
        kind = r.response_class
        tp = r.response_model
        if tp is _UNSET:
            tp = self.return_type(r.handler)
            if kind is None and _is_response_class(tp):
                kind, tp = tp, _UNSET
        out[status] = self.response(status, kind, tp)
        if kind is None and not r.renderers and tp in (str, bytes) and "content" in out[status]:
            # A returned str is sent as text and bytes as they are (as django-bolt sends them).
            out[status]["content"] = (
                {"text/plain": {"schema": {"type": "string"}}}
                if tp is str
                else {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            )
        if out[status].get("content", {}).get("application/json", {}).get("schema") == {}:
            self.opaque.append(f"{r.method} {r.path}")
        content = out[status].get("content")
        if kind is None and content and list(content) == ["application/json"] and r.renderers:
            from ..api import _RENDERERS

            # The same value, as each renderer sends it (text: only when the value is a str).
            schema = content["application/json"]["schema"]
            out[status]["content"] = {
                _RENDERERS[name]: {"schema": schema if name != "text" else {"type": "string"}} for name in r.renderers
            }
        for code, declared in sorted((c, d) for c, d in r.responses.items() if c is not Ellipsis):
            out[code] = self.declared(code, declared)
        default = None
        if Ellipsis in r.responses:
            # response_model={200: Item, ...: Error}: every status not listed (django-bolt's form).
            default = self.declared(500, r.responses[Ellipsis])
            default["description"] = "Any other status"
        if self.config.include_error_responses:
            for code, resp in self.error_responses(r, params).items():
                if code not in out:
                    out[code] = resp
                elif code == 422 and "content" in out[code]:
                    mine = out[code]["content"].get("application/json", {}).get("schema")
                    if mine is not None:
                        out[code]["content"]["application/json"]["schema"] = {
                            "anyOf": [mine, {"$ref": _REF + "HTTPValidationError"}]
                        }
        doc = {str(code): out[code] for code in sorted(out)}
        if default is not None:
            doc["default"] = default
        return doc

    def response(self, status: int, kind: type | None, tp: Any) -> dict[str, Any]:
        """The success response: a ``Response`` class's media type, else the declared type as
        JSON (anything JSON when nothing is declared)."""
        from ..api import _UNSET

        if kind is not None:
            return self.declared(status, kind)
        out: dict[str, Any] = {"description": _phrase(status)}
        if status in _NO_BODY or (tp is type(None) and status == 204):
            return out
        schema: dict[str, Any] = {}
        if tp is not _UNSET and tp is not None:
            try:
                schema = self.type_schema(tp)
            except TypeError:
                schema = {}  # e.g. "-> QuerySet": encoded as returned, not checked
            if typing.get_origin(tp) is tuple or tp is tuple:
                schema = {}  # "-> tuple" is how handlers say they return (status, body)
        out["content"] = {"application/json": {"schema": schema}}
        return out

    def declared(self, status: int, declared: Any) -> dict[str, Any]:
        """A status from ``response_model={...}`` (or ``response_class=``): a type (JSON), None
        (no body), a ``Response`` class (its media type) or an ``HTTPException`` class."""
        from ..api import _is_response_class
        from ..exceptions import HTTPException
        from ..responses import HTML, JSON, FileResponse, PlainText, Redirect

        out: dict[str, Any] = {"description": _phrase(status)}
        if declared is None or status in _NO_BODY:
            return out
        if isinstance(declared, type) and issubclass(declared, HTTPException):
            return {**out, "content": {"application/json": {"schema": self.error_ref()}}}
        if _is_response_class(declared):
            if issubclass(declared, Redirect):
                out["headers"] = {"Location": {"required": True, "schema": {"type": "string"}}}
                return out
            if issubclass(declared, FileResponse):
                # Any media type (guessed from the file), bytes as they are on disk.
                return {**out, "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
            if issubclass(declared, PlainText):
                media = "text/plain"
            elif issubclass(declared, HTML):
                media = "text/html"
            elif issubclass(declared, JSON):
                media = "application/json"
            else:
                # A bare Response carries whatever media type the handler gives it.
                media = "*/*"
            schema: dict[str, Any] = {"type": "string"} if media.startswith("text/") else {}
            return {**out, "content": {media: {"schema": schema}}}
        return {**out, "content": {"application/json": {"schema": self.type_schema(declared)}}}

    def error_ref(self) -> dict[str, Any]:
        self.fixed["HTTPError"] = HTTP_ERROR
        return {"$ref": _REF + "HTTPError"}

    def error_responses(self, r: Route, params: list[ParamPlan]) -> dict[int, dict[str, Any]]:
        """What bolt itself may answer on this route, besides the handler."""
        out: dict[int, dict[str, Any]] = {}

        def error(code: int, description: str, headers: dict[str, Any] | None = None) -> None:
            resp: dict[str, Any] = {"description": description}
            if headers:
                resp["headers"] = headers
            resp["content"] = {"application/json": {"schema": self.error_ref()}}
            out[code] = resp

        sources = {p.source for p in params}
        rust_auth = [a for a in r.auth if not getattr(a, "python", False)]
        if rust_auth or (r.guards and r.auth and getattr(r.auth[0], "www_authenticate", None)):
            error(
                401,
                "Not authenticated: no credentials where the route requires them, or credentials that do not check out",
                {"WWW-Authenticate": {"schema": {"type": "string"}}},
            )
        from ..auth.guards import AllowAny

        if any(not isinstance(g, AllowAny) for g in r.guards) or any(getattr(a, "python", False) for a in r.auth):
            # (A session's CSRF check refuses with a 403 too.)
            error(403, "Forbidden: a guard refused the request")
        if r.renderers:
            error(406, "Not Acceptable: the request's Accept admits none of the media types this route sends")
        if sources & {SRC_BODY, SRC_FORM, SRC_FILE}:
            error(413, "Content Too Large: the body is over the server's --max-body, or has too many files")
        if SRC_BODY in sources:
            error(415, "Unsupported Media Type: the body is not application/json")
        elif sources & {SRC_FORM, SRC_FILE}:
            error(415, "Unsupported Media Type: the body is not a form")
            error(400, "Bad Request: a malformed multipart body")
        if sources & {SRC_PATH, SRC_QUERY, SRC_HEADER, SRC_COOKIE, SRC_BODY, SRC_FORM, SRC_FILE}:
            self.fixed["ValidationError"] = VALIDATION_ERROR
            self.fixed["HTTPValidationError"] = HTTP_VALIDATION_ERROR
            out[422] = {
                "description": "Validation Error",
                "content": {"application/json": {"schema": {"$ref": _REF + "HTTPValidationError"}}},
            }
        if r.limits()[1] is not None:
            error(
                429,
                "Too Many Requests: over the route's rate limit",
                {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
            )
        return out

    # --- security ------------------------------------------------------------------------------

    def security(self, r: Route) -> list[dict[str, list[str]]] | None:
        """One requirement per authenticator (any one of them will do); an empty one too when
        no guard needs the request authenticated. None for routes without authenticators."""
        if not r.auth:
            return None
        out: list[dict[str, list[str]]] = []
        for a in r.auth:
            for base, definition in self.scheme_definitions(a):
                name = self.scheme_name(base, definition)
                if {name: []} not in out:
                    out.append({name: []})
        if not out:
            return None
        from ..auth.guards import AllowAny

        if not r.guards or all(isinstance(g, AllowAny) for g in r.guards):
            out.append({})
        return out

    @staticmethod
    def scheme_definitions(a: Any) -> list[tuple[str, dict[str, Any]]]:
        """(a base name, the security scheme) for each way ``a`` reads credentials."""
        from ..auth.authentication import APIKeyAuthentication, JWTAuthentication, SessionAuthentication

        if isinstance(a, JWTAuthentication):
            out: list[tuple[str, dict[str, Any]]] = []
            if a.header == "authorization":
                out.append(("BearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}))
            else:
                header = {"type": "apiKey", "in": "header", "name": a.header, "description": "Bearer <JWT>"}
                out.append(("JWTHeaderAuth", header))
            if a.cookie:
                out.append(
                    ("JWTCookieAuth", {"type": "apiKey", "in": "cookie", "name": a.cookie, "description": "A JWT"})
                )
            return out
        if isinstance(a, APIKeyAuthentication):
            return [("ApiKeyAuth", {"type": "apiKey", "in": "header", "name": a.header})]
        if isinstance(a, SessionAuthentication):
            name = "sessionid"
            try:
                from django.conf import settings

                if settings.configured:
                    name = settings.SESSION_COOKIE_NAME
            except ImportError:  # pragma: no cover - django is a dependency
                pass
            description = "Django's session cookie; unsafe methods also need X-CSRFToken"
            return [("SessionAuth", {"type": "apiKey", "in": "cookie", "name": name, "description": description})]
        return []

    def scheme_name(self, base: str, definition: dict[str, Any]) -> str:
        """The name of a scheme: ``base``, or ``base_<header>`` when another scheme has it."""
        key = tuple(sorted(definition.items()))
        if key in self.schemes:
            return self.schemes[key]
        name = base
        if name in self.scheme_defs:
            name = f"{base}_{re.sub(r'[^A-Za-z0-9]', '_', definition.get('name', ''))}"
            n = 2
            while name in self.scheme_defs:
                name, n = f"{base}_{n}", n + 1
        self.schemes[key] = name
        self.scheme_defs[name] = definition
        return name

    # --- types -----------------------------------------------------------------------------------

    def type_schema(self, tp: Any) -> dict[str, Any]:
        """The JSON Schema of a Python type, from the same description Rust's plan is compiled
        from (records and enums become components)."""
        from ..schema import describe

        try:
            return self._types[tp]
        except (KeyError, TypeError):  # not seen, or unhashable
            pass
        root, defs = describe(tp)
        schema = _annotate(self.node(root, defs), _meta_of(tp))
        try:
            self._types[tp] = schema
        except TypeError:
            pass
        return schema

    def node(self, n: tuple, defs: list, text: bool = False) -> dict[str, Any]:
        kind = n[0]
        if kind == "int":
            return _bounds({"type": "integer"}, n[1])
        if kind == "float":
            return _bounds({"type": "number"}, n[1])
        if kind == "str":
            return _text({"type": "string"}, n[1])
        if kind == "bool":
            return {"type": "boolean"}
        if kind == "bytes":
            if text:
                return _text({"type": "string"}, n[1])
            return _items({"type": "string", "contentEncoding": "base64"}, None)
        if kind == "decimal":
            return {"anyOf": [_bounds({"type": "number"}, n[1]), {"type": "string", "pattern": DECIMAL_PATTERN}]}
        if kind == "datetime":
            return {"type": "string", "format": "date-time"}
        if kind == "date":
            return {"type": "string", "format": "date"}
        if kind == "time":
            return {"type": "string", "format": "time"}
        if kind == "timedelta":
            # ISO 8601 (what bolt writes) or a number of seconds.
            return {"anyOf": [{"type": "string", "format": "duration"}, {"type": "number"}]}
        if kind == "uuid":
            return {"type": "string", "format": "uuid"}
        if kind == "none":
            return {"type": "null"}
        if kind == "any":
            return {}
        if kind == "literal":
            return _literal(n[1])
        if kind == "enum":
            return self.enum_ref(n[1], [v for v, _ in n[2]])
        if kind in ("list", "set", "frozenset", "tuple"):
            s: dict[str, Any] = {"type": "array", "items": self.node(n[1], defs)}
            if kind in ("set", "frozenset"):
                s["uniqueItems"] = True
            return _items(s, n[2])
        if kind == "fixtuple":
            items = [self.node(x, defs) for x in n[1]]
            s = {"type": "array", "maxItems": len(items), "minItems": len(items)}
            if items:
                s["prefixItems"] = items
            return s
        if kind == "dict":
            s = {"type": "object", "additionalProperties": self.node(n[2], defs)}
            keys = _key_names(n[1])
            if keys is not None:
                s["propertyNames"] = keys
            return _items(s, n[3], "minProperties", "maxProperties")
        if kind == "optional":
            return _nullable(self.node(n[1], defs))
        if kind == "union":
            return {"anyOf": [self.node(x, defs) for x in n[1]]}
        if kind == "tagged":
            _, field, tags = n
            refs = [self.record_ref(idx, defs) for _, idx in tags]
            s = {"oneOf": refs}
            if all(isinstance(t, str) for t, _ in tags):
                s["discriminator"] = {
                    "propertyName": field,
                    "mapping": {t: ref["$ref"] for (t, _), ref in zip(tags, refs, strict=True)},
                }
            return s
        if kind == "struct":
            return self.record_ref(n[1], defs)
        raise TypeError(f"no JSON Schema for the plan node {kind!r}")  # pragma: no cover

    def enum_ref(self, cls: type, values: list[Any]) -> dict[str, Any]:
        if cls not in self.components:
            s: dict[str, Any] = {"title": cls.__name__}
            doc = _own_doc(cls)
            if doc:
                s["description"] = doc
            kinds = {type(v) for v in values}
            if kinds == {str}:
                s["type"] = "string"
            elif kinds == {int}:
                s["type"] = "integer"
            s["enum"] = values
            self.components[cls] = s
        return {"$ref": _REF + _PENDING + self.key(cls)}

    def record_ref(self, idx: int, defs: list) -> dict[str, Any]:
        from ..schema import FACTORY, REQUIRED, VALUE

        cls, _kind, described, tag_field, tag_value, forbid, _omit = defs[idx]
        ref = {"$ref": _REF + _PENDING + self.key(cls)} if cls in self.components else None
        if ref is not None:
            return ref
        self.components[cls] = None  # placeholder: recursive fields refer to it
        metas = self.field_metas(cls)
        props: dict[str, Any] = {}
        required: list[str] = []
        if tag_field is not None:
            props[tag_field] = {"const": tag_value}
        for attr, json_name, node, default_kind, default in described:
            s = _annotate(self.node(node, defs), metas.get(attr))
            if default_kind == VALUE:
                ok, v = _jsonable(default)
                if ok:
                    s = {**s, "default": v}
            elif default_kind == FACTORY:
                ok, v = _factory_default(default)
                if ok:
                    s = {**s, "default": v}
            elif default_kind == REQUIRED:
                required.append(json_name)
            props[json_name] = s
        schema: dict[str, Any] = {"title": cls.__name__}
        doc = _own_doc(cls)
        if doc:
            schema["description"] = doc
        schema["type"] = "object"
        schema["properties"] = props
        if required:
            schema["required"] = required
        if forbid:
            schema["additionalProperties"] = False
        self.components[cls] = schema
        return {"$ref": _REF + _PENDING + self.key(cls)}


def _literal(values: list[Any]) -> dict[str, Any]:
    kinds = {type(v) for v in values if v is not None}
    s: dict[str, Any] = {}
    names = {str: "string", int: "integer", bool: "boolean"}
    if len(kinds) == 1 and next(iter(kinds)) in names:
        t = names[next(iter(kinds))]
        s["type"] = [t, "null"] if None in values else t
    if len(values) == 1:
        s["const"] = values[0]
    else:
        s["enum"] = list(values)
    return s


def _key_names(n: tuple) -> dict[str, Any] | None:
    """What a dict's keys may be, as ``propertyNames`` (JSON keys are strings)."""
    if n[0] == "int":
        return {"pattern": r"^[+-]?\d+$"}
    if n[0] == "uuid":
        return {"format": "uuid"}
    if n[0] == "literal":
        return {"enum": [str(v) for v in n[1]]}
    if n[0] == "enum":
        return {"enum": [str(v) for v, _ in n[2]]}
    if n[0] == "str" and n[1] is not None:
        return _text({}, n[1])
    return None


def _factory_default(factory: Any) -> tuple[bool, Any]:
    """The default a ``default_factory`` makes, when that is known without running user code
    (an empty container, or a Struct's copied mutable default)."""
    if factory in (list, set, frozenset, tuple):
        return True, []
    if factory is dict:
        return True, {}
    if getattr(factory, "__module__", None) == "django_bolt.struct" and getattr(factory, "__defaults__", None):
        return _jsonable(factory.__defaults__[0])
    return False, None
