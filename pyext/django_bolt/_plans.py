"""The wire format between the Python package and the Rust core, written once.

At start-up each worker hands Rust its route table and settings as these named tuples; Rust
reads every field by name (``src/app/plan.rs``), so a layout lives here and nowhere else. The
numeric codes are Rust's too: ``tests`` check them against ``_native.plan_codes()``.

Nothing here runs per request.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

# Where a parameter's value comes from (ParamPlan.source).
SRC_PATH, SRC_QUERY, SRC_REQUEST, SRC_BODY, SRC_HEADER, SRC_COOKIE, SRC_FORM, SRC_FILE = 0, 1, 2, 3, 4, 5, 6, 7
# The scalar kind text is coerced to (ParamPlan.kind); K_MODEL: along ParamPlan.model's type plan.
K_STR, K_INT, K_FLOAT, K_BOOL, K_UUID, K_DATE, K_DATETIME, K_DECIMAL, K_TIME, K_ANY, K_MODEL = range(11)
# ParamPlan.flags bits.
F_LIST, F_OPTIONAL, F_DEFAULT, F_EMBED = 1, 2, 4, 8
# With F_LIST: handed over as a set / frozenset / tuple (set[int], frozenset[str], tuple[int, ...]).
F_SET, F_FROZENSET, F_TUPLE = 16, 32, 64

#: Every code, by name, as ``_native.plan_codes()`` returns them.
CODES = {
    name: value for name, value in globals().items() if name.startswith(("SRC_", "K_", "F_")) and isinstance(value, int)
}

# (gt, ge, lt, le, multiple_of, min_length, max_length, pattern), or None.
Constraints = tuple


class ParamPlan(NamedTuple):
    """One handler parameter: where its value comes from and what it becomes."""

    name: str
    source: int
    kind: int
    flags: int
    default: Any
    #: The query key / header / cookie / path name (the alias when one is given).
    key: str
    #: The type plan (a capsule from ``_native.compile_plan``) for bodies and text decoded along
    #: a type (Enum, Literal, timedelta), else None.
    model: Any
    constraints: Constraints | None
    #: For grouped ``Cookie()``/``Form()`` models: the model the field belongs to (Python only).
    group: type | None = None


class JwtPlan(NamedTuple):
    algorithms: list[str]
    secret: bytes | None
    public_key: bytes | None
    audience: list[str]
    issuer: list[str]
    leeway: int
    header: str
    cookie: str | None
    scheme: str = "jwt"
    #: The ``typ`` a token must have on the route (None: access tokens only).
    token_type: str | None = None
    #: A token read from ``cookie`` gets the cross-site check on unsafe methods.
    cookie_csrf: bool = False
    #: A JWKS document (JSON): keys by ``kid``, in place of ``secret``/``public_key``.
    jwks: bytes | None = None
    #: Where ``jwks`` was fetched from (None: it was given): Rust refreshes it from there.
    jwks_url: str | None = None
    #: Seconds between refreshes of the ``jwks_url`` set.
    jwks_refresh_interval: float = 300.0


class ApiKeyPlan(NamedTuple):
    header: str
    #: SHA-256 hex of in-memory keys, or None for keys in the database.
    key_hashes: list[str] | None
    cache_ttl: float
    scheme: str = "apikey"
    #: The claims JSON of each in-memory key, in ``key_hashes`` order (None: ``{"api_key": "static"}``).
    key_claims: list[bytes] | None = None


class SecurityPlan(NamedTuple):
    """Authenticators checked in Rust, and the guard tree Rust decides (None: Python decides).

    A guard tree is a tagged tuple: ``("allow",)``, ``("auth",)``, ``("claim", name, [values])``,
    ``("not", g)``, ``("and", a, b)``, ``("or", a, b)``.
    """

    authenticators: list[JwtPlan | ApiKeyPlan]
    guard: tuple | None


class LimitPlan(NamedTuple):
    """A token bucket: ``rate`` per second, ``burst`` deep, keyed by the client address (``""``),
    the authenticated user (``"@user"``) or a header's value (its lower-case name)."""

    rate: float
    burst: float
    key: str
    #: Also counted across hosts in the ``BOLT_RATE_LIMIT_CACHE`` cache (``_prechecks.py``).
    shared: bool = False


class CorsPlan(NamedTuple):
    origins: list[str]
    origin_regexes: list[str]
    allow_all: bool
    credentials: bool
    methods: list[str]
    headers: list[str]
    expose: list[str]
    max_age: int | None


class RoutePlan(NamedTuple):
    method: str
    path: str
    #: What Rust calls with the parameters as keywords (the handler, or its wrapper).
    handler: Callable[..., Any]
    status_code: int
    params: list[ParamPlan]
    #: True: always on the core's blocking pool; False: never; None: decided by measurement.
    blocking: bool | None
    name: str | None
    cors: CorsPlan | None
    rate_limit: LimitPlan | None
    security: SecurityPlan | None
    #: The declared response type's plan capsule, or None.
    response: Any
    #: False: never compressed (``@no_compress``, or its API's ``compression=False``).
    compress: bool = True
    #: What a plain return value may be rendered as (``renderers=``), chosen by ``Accept``;
    #: empty: JSON whatever ``Accept`` says (no 406).
    renderers: tuple[str, ...] = ()
    #: An ``@api.websocket`` route: its GET requests are WebSocket handshakes.
    websocket: bool = False
    #: ``(status, body, headers, request) -> (status, content_type, body, headers) | None``:
    #: the API's ``error_formatter`` for the errors Rust answers before the handler runs
    #: (``error_handlers.core_error_hook``); None: the default ``{"detail": ...}`` body.
    error_hook: Any = None
    #: ``[(form field, max_size), ...]`` of its ``File(max_size=...)`` parameters: a file part
    #: passing its limit is refused (422 ``file_too_large``) while the body is still arriving.
    upload_limits: list[tuple[str, int]] = []
    #: ``(limit_key, claims) -> None``, raising the HTTPException that refuses: the checks
    #: that need blocking I/O (a shared limit's counter, a JWT revocation lookup), run on the
    #: core's pool before the handler (``_prechecks.py``). None: the route has none.
    precheck: Any = None
    #: False: no access line and no request log entry (its API's ``enable_logging=False``).
    logged: bool = True


class StaticMount(NamedTuple):
    prefix: str
    roots: list[str]
    cache_control: str | None
    #: MEDIA_URL (user uploads): script-bearing files are served for download, never to run.
    media: bool = False
    #: ``Content-Security-Policy`` / ``-Report-Only`` of every file answer (``conf.static_files_csp``).
    csp: str | None = None
    csp_report_only: str | None = None


class CompressionPlan(NamedTuple):
    """The project's ``CompressionConfig`` (``Runtime.compression``; None: off)."""

    backend: str
    minimum_size: int
    gzip_fallback: bool
    brotli_level: int
    brotli_lgwin: int
    gzip_level: int
    zstd_level: int


class ScalarParsers(NamedTuple):
    """Callables that parse text exactly as Python does, for the richer scalar kinds."""

    uuid: Callable[[str], Any]
    date: Callable[[str], Any]
    datetime: Callable[[str], Any]
    decimal: Callable[[str], Any]
    time: Callable[[str], Any]
