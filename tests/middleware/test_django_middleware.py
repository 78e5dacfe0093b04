"""Django middleware around API routes through the in-process test client: sessions and
``AuthenticationMiddleware`` giving the handler ``request.user``/``request.session``, messages,
a project's own middleware (function- and class-shaped, sync-only and async-capable), hooks
(``process_view`` with the handler as the view, ``process_exception``), short-circuits, CSRF
with ``@csrf_exempt`` and ``skip_middleware``, and the loader's configuration forms."""

from __future__ import annotations

import pytest
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.deprecation import MiddlewareMixin

from django_bolt import BoltAPI, HTTPException, Request
from django_bolt.middleware import (
    DjangoMiddleware,
    DjangoMiddlewareStack,
    Middleware,
    load_django_middleware,
    skip_middleware,
)
from django_bolt.testing import TestClient

SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
MESSAGES = "django.contrib.messages.middleware.MessageMiddleware"
CALLS: list[str] = []


def blocking_middleware(get_response):
    """A project's own function middleware, sync-only (Django's default)."""

    def middleware(request):
        CALLS.append("blocking")
        if request.headers.get("x-block"):
            from django.http import HttpResponseForbidden

            return HttpResponseForbidden("blocked by project middleware")
        response = get_response(request)
        response["X-Sync-Only"] = "seen"
        return response

    return middleware


class AsyncOnly:
    """A project's own async middleware (``async_capable`` only)."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response, label: str = "async"):
        self.get_response = get_response
        self.label = label
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    async def __call__(self, request):
        request.tagged_by = self.label  # a public attribute: copied to request.state
        response = await self.get_response(request)
        response["X-Async-Only"] = self.label
        return response


class Hooks(MiddlewareMixin):
    """Old-style hooks through MiddlewareMixin: process_view and process_exception."""

    def process_view(self, request, view, args, kwargs):
        CALLS.append(f"view:{view.__name__}")
        if request.headers.get("x-stop-in-view"):
            from django.http import JsonResponse

            return JsonResponse({"stopped": view.__name__}, status=409)
        return None

    def process_exception(self, request, exception):
        CALLS.append(f"exception:{type(exception).__name__}")
        if isinstance(exception, LookupError):
            from django.http import HttpResponse

            return HttpResponse("handled by process_exception", status=418, content_type="text/plain")
        return None


@pytest.fixture(scope="module")
def session_cookie(demo_apis) -> str:
    """A logged-in session of user ``mw-user`` (``sessionid`` value)."""
    from django.contrib.auth.models import User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="mw-user")
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture(autouse=True)
def _clear():
    CALLS.clear()


def test_session_auth_and_messages_reach_async_and_sync_handlers(session_cookie):
    api = BoltAPI(django_middleware=[SESSION, AUTH, MESSAGES])

    @api.get("/me")
    async def me(request: Request) -> dict:
        user = await request.auser()
        return {
            "user": user.username if user.is_authenticated else None,
            "visits": await request.session.aget("visits", 0),
            "has_messages": request.state.get("_messages") is not None,
        }

    @api.post("/visit")
    def visit(request: Request) -> dict:
        request.session["visits"] = request.session.get("visits", 0) + 1
        return {"user": request.user.username, "visits": request.session["visits"]}

    with TestClient(api) as c:
        anon = c.get("/me")
        assert anon.json() == {"user": None, "visits": 0, "has_messages": True}
        c.cookies.set("sessionid", session_cookie)
        assert c.get("/me").json()["user"] == "mw-user"
        assert c.post("/visit").json() == {"user": "mw-user", "visits": 1}
        r = c.post("/visit")
        assert r.json() == {"user": "mw-user", "visits": 2}
        # SessionMiddleware saved it (and says so with Vary: Cookie).
        assert "Cookie" in r.headers["vary"]
        assert c.get("/me").json() == {"user": "mw-user", "visits": 2, "has_messages": True}


def test_project_middleware_sync_only_async_only_and_short_circuit():
    api = BoltAPI(
        middleware=[
            DjangoMiddleware(blocking_middleware),
            DjangoMiddleware(AsyncOnly, label="mine"),
        ]
    )

    @api.get("/p")
    async def p(request: Request) -> dict:
        from django.contrib.auth.models import User

        # The ORM through the async API, below a sync-only middleware running on a thread.
        return {"tag": request.state["tagged_by"], "users": await User.objects.acount() >= 0}

    with TestClient(api) as c:
        r = c.get("/p")
        assert r.json() == {"tag": "mine", "users": True}
        assert (r.headers["x-sync-only"], r.headers["x-async-only"]) == ("seen", "mine")
        blocked = c.get("/p", headers={"x-block": "1"})
        assert (blocked.status_code, blocked.text) == (403, "blocked by project middleware")
        assert blocked.headers["content-type"] == "text/html; charset=utf-8"
        assert "x-async-only" not in blocked.headers


def test_process_view_gets_the_handler_and_process_exception_answers():
    api = BoltAPI(middleware=[DjangoMiddlewareStack([Hooks])])

    @api.get("/view")
    async def the_view() -> dict:
        CALLS.append("handler")
        return {"ok": True}

    @api.get("/lookup")
    async def lookup() -> dict:
        raise KeyError("missing")

    @api.get("/http")
    async def http() -> dict:
        raise HTTPException(404, "gone")

    with TestClient(api, raise_server_exceptions=False) as c:
        assert c.get("/view").json() == {"ok": True}
        assert CALLS == ["view:the_view", "handler"]
        r = c.get("/view", headers={"x-stop-in-view": "1"})
        assert (r.status_code, r.json()) == (409, {"stopped": "the_view"})
        r = c.get("/lookup")
        assert (r.status_code, r.text) == (418, "handled by process_exception")
        # Not handled by the hook: bolt answers it as a handler's HTTPException.
        r = c.get("/http")
        assert (r.status_code, r.json()) == (404, {"detail": "gone"})
        assert "exception:HTTPException" in CALLS


def test_settings_middleware_csrf_exempt_and_skip(session_cookie):
    from django.views.decorators.csrf import csrf_exempt

    api = BoltAPI(django_middleware=True, middleware=[])

    @api.post("/guarded")
    async def guarded() -> dict:
        return {"posted": True}

    @api.post("/exempt")
    @csrf_exempt
    async def exempt(request: Request) -> dict:  # Django's wrapper passes the request, as in django-bolt
        return {"posted": True}

    @api.post("/no-csrf")
    @skip_middleware("CsrfViewMiddleware")
    async def no_csrf() -> dict:
        return {"posted": True}

    @api.post("/star")
    @skip_middleware("*")
    async def star() -> dict:
        return {"posted": True}

    @api.get("/headers")
    async def headers() -> dict:
        return {}

    with TestClient(api) as c:
        c.cookies.set("sessionid", session_cookie)
        refused = c.post("/guarded")
        assert refused.status_code == 403 and "CSRF" in refused.text
        assert c.post("/exempt").json() == {"posted": True}
        assert c.post("/no-csrf").json() == {"posted": True}
        # "*" never removes a Django middleware: the CSRF check stays.
        assert c.post("/star").status_code == 403
        h = c.get("/headers").headers
        # SecurityMiddleware and XFrameOptionsMiddleware of settings.MIDDLEWARE.
        assert (h["x-frame-options"], h["x-content-type-options"]) == ("DENY", "nosniff")


def test_bolt_and_django_middleware_order():
    class Outer(Middleware):
        async def process_request(self, request):
            CALLS.append("outer")
            return await self.get_response(request)

    def django_mw(get_response):
        def m(request):
            CALLS.append("django")
            return get_response(request)

        return m

    api = BoltAPI(middleware=[Outer], django_middleware=[f"{__name__}.blocking_middleware"])

    @api.get("/o")
    async def o() -> dict:
        CALLS.append("handler")
        return {}

    with TestClient(api) as c:
        c.get("/o")
    # django_middleware first, then middleware=[...].
    assert CALLS == ["blocking", "outer", "handler"]


def test_loader_forms(settings_middleware=None):
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    everything = load_django_middleware(True)
    assert [c.__module__ + "." + c.__name__ for c in everything[0].middleware_classes] == list(settings.MIDDLEWARE)
    only = load_django_middleware({"include": [SESSION, AUTH]})[0].middleware_classes
    assert [c.__name__ for c in only] == ["SessionMiddleware", "AuthenticationMiddleware"]
    less = load_django_middleware({"exclude": ["django.middleware.csrf.CsrfViewMiddleware"]})[0]
    assert "CsrfViewMiddleware" not in [c.__name__ for c in less.middleware_classes]
    assert load_django_middleware(False) == [] and load_django_middleware([]) == []
    with pytest.raises(ImproperlyConfigured):
        load_django_middleware({"exclude": "django.middleware.csrf.CsrfViewMiddleware"})
    with pytest.raises(ImportError):
        BoltAPI(django_middleware=["no.such.Middleware"])


def test_login_required_middleware_reads_the_handler_as_the_view(session_cookie):
    from django.contrib.auth.decorators import login_not_required

    api = BoltAPI(django_middleware=[SESSION, AUTH, "django.contrib.auth.middleware.LoginRequiredMiddleware"])

    @api.get("/private")
    async def private(request: Request) -> dict:
        return {"user": (await request.auser()).username}

    @api.get("/public")
    @login_not_required
    async def public() -> dict:
        return {"public": True}

    with TestClient(api, follow_redirects=False) as c:
        r = c.get("/private")
        assert r.status_code == 302 and r.headers["location"].endswith("?next=/private")
        assert c.get("/public").json() == {"public": True}
        c.cookies.set("sessionid", session_cookie)
        assert c.get("/private").json() == {"user": "mw-user"}


def test_python_auth_and_guards_under_middleware(session_cookie):
    """SessionAuthentication and guards run inside the chain; the user they find is the one
    the middleware's request carries."""
    from django_bolt.auth import IsAuthenticated, SessionAuthentication

    class Who(Middleware):
        async def process_request(self, request):
            response = await self.get_response(request)
            response.headers["x-who"] = getattr(request._user, "username", "?")
            return response

    api = BoltAPI(middleware=[Who])

    @api.get("/mine", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
    async def mine(request: Request) -> dict:
        return {"user": request.user.username}

    @api.get("/mine-bare", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
    @skip_middleware("*")
    async def mine_bare(request: Request) -> dict:
        return {"user": request.user.username}

    with TestClient(api) as c:
        # Refused as without middleware (the guard's exception passes through the chain).
        refused, bare = c.get("/mine"), c.get("/mine-bare")
        assert refused.status_code == bare.status_code == 403 and "x-who" not in refused.headers
        c.cookies.set("sessionid", session_cookie)
        r = c.get("/mine")
        assert (r.json(), r.headers["x-who"]) == ({"user": "mw-user"}, "mw-user")
