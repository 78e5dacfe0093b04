"""The examples of django-bolt 0.13's middleware page (docs/src/topics/middleware.md), as written
there except the imports: ``DjangoMiddleware`` comes from ``django_bolt.middleware`` (django-bolt
also exports it at top level; the compat table says where that stands)."""

from __future__ import annotations

import uuid

from django_bolt import BoltAPI
from django_bolt.middleware import DjangoMiddleware, DjangoMiddlewareStack, Middleware, middleware
from django_bolt.testing import TestClient


@middleware
async def timing_middleware(request, call_next):
    request.state["timing_enabled"] = True
    response = await call_next(request)
    response.headers["X-Timing"] = "enabled"
    return response


class RequestIdMiddleware(Middleware):
    async def process_request(self, request):
        request_id = str(uuid.uuid4())
        request.state["request_id"] = request_id
        response = await self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        return response


def test_function_and_class_middleware_examples(demo_apis):
    api = BoltAPI(middleware=[RequestIdMiddleware])

    @api.get("/timed")
    @timing_middleware
    async def timed_endpoint():
        return {"status": "ok"}

    route_api = BoltAPI()

    @route_api.get("/admin-only")
    @middleware(RequestIdMiddleware)
    async def admin_only():
        return {"ok": True}

    with TestClient([api, route_api]) as c:
        r = c.get("/timed")
        assert r.json() == {"status": "ok"} and r.headers["x-timing"] == "enabled"
        assert uuid.UUID(r.headers["x-request-id"])
        r = c.get("/admin-only")
        assert r.json() == {"ok": True} and uuid.UUID(r.headers["x-request-id"])


def test_django_middleware_examples(demo_apis):
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware

    by_path = BoltAPI(
        prefix="/a",
        middleware=[
            DjangoMiddleware("django.contrib.sessions.middleware.SessionMiddleware"),
            DjangoMiddleware("django.contrib.auth.middleware.AuthenticationMiddleware"),
            DjangoMiddleware("django.contrib.messages.middleware.MessageMiddleware"),
        ],
    )
    by_class = BoltAPI(prefix="/b", middleware=[DjangoMiddlewareStack([SessionMiddleware, AuthenticationMiddleware])])
    both = BoltAPI(
        prefix="/c", middleware=[DjangoMiddleware(SessionMiddleware), DjangoMiddleware(AuthenticationMiddleware)]
    )

    for api in (by_path, by_class, both):

        @api.get("/profile")
        async def profile(request):
            user = await request.auser()
            session = request.session
            theme = await session.aget("theme", "light")
            messages = request.state.get("_messages")
            return {
                "username": user.username if user.is_authenticated else "anonymous",
                "authenticated": user.is_authenticated,
                "session_key": session.session_key,
                "theme": theme,
                "messages": messages is not None,
            }

    with TestClient([by_path, by_class, both]) as c:
        expected = {"username": "anonymous", "authenticated": False, "session_key": None, "theme": "light"}
        assert c.get("/a/profile").json() == {**expected, "messages": True}
        assert c.get("/b/profile").json() == {**expected, "messages": False}
        assert c.get("/c/profile").json() == {**expected, "messages": False}
