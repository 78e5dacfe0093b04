"""Routes written as a django-bolt 0.13 project writes them (tests/compat/test_samecall_*.py
serve them over a real ``bolt``): responses, exceptions and authentication with django-bolt's
calls and meanings."""

from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse

from django_bolt import BoltAPI
from django_bolt.auth import APIKeyAuthentication, HasPermission, IsAuthenticated, JWTAuthentication, Requires
from django_bolt.exceptions import BadRequest, Gone, HTTPException
from django_bolt.params import Header
from django_bolt.responses import JSON, Redirect, Response

api = BoltAPI()

KEYS = APIKeyAuthentication(api_keys={"k-read", "k-write"}, key_permissions={"k-write": {"items.write"}})


@api.get("/r/dict")
def response_dict():
    return Response({"ok": True}, headers={"x-one": "1"})


@api.get("/r/empty")
def response_empty():
    return Response()


@api.get("/r/text")
def returns_text():
    return "hello"


@api.get("/r/bytes")
def returns_bytes():
    return b"\x00\x01raw"


@api.get("/r/json-data")
def json_data():
    return JSON(data={"n": 1}, status_code=201).set_cookie("sid", "abc", httponly=True)


@api.get("/r/redirect")
def redirect():
    return Redirect("/r/dict")


@api.get("/r/django")
def django_response():
    resp = HttpResponse("<p>hi</p>", status=202, content_type="text/html; charset=utf-8")
    resp["X-From"] = "django"
    resp.set_cookie("theme", "dark")
    return resp


@api.get("/r/django-redirect")
def django_redirect():
    return HttpResponseRedirect("/login/?next=/r/django-redirect")


@api.get("/r/django-stream")
def django_stream():
    return StreamingHttpResponse((f"{i}\n" for i in range(3)), content_type="text/plain")


@api.get("/e/extra")
def extra():
    raise BadRequest(detail="bad sku", extra={"sku": "X1"})


@api.get("/e/body")
def body():
    raise HTTPException(409, body={"code": "taken", "field": "email"})


@api.get("/e/gone")
def gone():
    raise Gone()


@api.get("/h/lang")
def lang(accept_language: str = Header("en")):
    return {"lang": accept_language}


@api.get("/k/any", auth=[KEYS], guards=[IsAuthenticated()])
def key_any(request):
    return {"context": request.context}


@api.get("/k/write", auth=[KEYS], guards=[Requires("permissions", "items.write")])
def key_write():
    return {"wrote": True}


@api.get("/k/write-py", auth=[KEYS], guards=[HasPermission("items.write")])
def key_write_py():
    return {"wrote": True}


@api.get("/j/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
def me(request):
    ctx = request.context
    return {"user_id": ctx["user_id"], "backend": ctx["auth_backend"], "username": ctx["auth_claims"]["username"]}
