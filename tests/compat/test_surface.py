"""django-bolt 0.13's import paths and the small modules written for them, through the in-process
``TestClient``: the names are this project's objects (not look-alikes), the pure-data modules
hold django-bolt's values, and the settings defaults reach the routes declared under them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

import django_bolt
from django_bolt import BoltAPI
from django_bolt.testing import TestClient


@pytest.fixture(autouse=True)
def _django(demo_apis):
    """Django set up on the demo's settings (``override_settings`` needs it)."""


def test_top_level_auth_names_are_the_auth_packages_objects():
    import django_bolt.auth as auth

    for name in (
        "JWTAuthentication",
        "APIKeyAuthentication",
        "SessionAuthentication",
        "AllowAny",
        "IsAuthenticated",
        "IsAdminUser",
        "IsStaff",
        "HasPermission",
        "HasAnyPermission",
        "HasAllPermissions",
        "Requires",
        "create_jwt_for_user",
    ):
        assert getattr(django_bolt, name) is getattr(auth, name), name
        assert name in django_bolt.__all__


def test_module_paths_name_the_same_objects():
    from django_bolt.auth import backends, jwt_utils, tokens
    from django_bolt.datastructures import UploadFile
    from django_bolt.logging import LoggingConfig
    from django_bolt.middleware import cors, rate_limit
    from django_bolt.param_functions import Header, Query

    assert (cors, rate_limit) == (django_bolt.cors, django_bolt.rate_limit)
    assert LoggingConfig is django_bolt.LoggingConfig and UploadFile is django_bolt.UploadFile
    assert backends.JWTAuthentication is django_bolt.JWTAuthentication
    assert jwt_utils.create_jwt_for_user is tokens.create_jwt_for_user
    assert (Header, Query) == (django_bolt.Header, django_bolt.Query)


def test_status_codes():
    from django_bolt import status

    assert status is django_bolt.status_codes
    assert (status.HTTP_200_OK, status.HTTP_306_RESERVED, status.HTTP_418_IM_A_TEAPOT) == (200, 306, 418)
    assert (
        status.HTTP_422_UNPROCESSABLE_ENTITY == 422
        and status.HTTP_413_REQUEST_ENTITY_TOO_LARGE == 413
        and status.HTTP_511_NETWORK_AUTHENTICATION_REQUIRED == 511
    )
    assert status.is_success(204) and not status.is_success(300)
    assert status.is_redirect(307) and status.is_client_error(404) and status.is_server_error(503)
    assert status.is_error(400) and status.is_error(599) and not status.is_error(399)
    assert status.is_informational(101) and not status.is_informational(200)


def test_enums():
    from django_bolt.enums import FileSize, MediaType

    assert MediaType.JSON == "application/json" and MediaType.MESSAGEPACK == "application/vnd.msgpack"
    assert f"{MediaType.HTML}" == "text/html"
    assert FileSize.MB_1 == 1 << 20 and FileSize.MB_100 == 100 << 20
    assert [m.name for m in FileSize][:3] == ["MB_1", "MB_2", "MB_3"]


def test_typing_only_names_are_protocols_and_typed_dicts():
    from django.contrib.auth.models import User

    from django_bolt.types import DjangoModel, JWTClaims

    assert JWTClaims.__total__ is False and "sub" in JWTClaims.__annotations__
    assert isinstance(User(), DjangoModel)
    assert django_bolt.RequestProtocol is django_bolt.types.Request


def test_new_named_exceptions_answer_their_status():
    from django_bolt.exceptions import BadGateway, GatewayTimeout, Gone, NotAcceptable, NotImplemented

    api = BoltAPI()
    errors = {406: NotAcceptable, 410: Gone, 501: NotImplemented, 502: BadGateway, 504: GatewayTimeout}

    @api.get("/fail/{code}")
    def fail(code: int) -> dict:
        raise errors[code](detail=f"no {code}")

    with TestClient(api) as client:
        for code in errors:
            r = client.get(f"/fail/{code}")
            assert r.status_code == code and r.json() == {"detail": f"no {code}"}
    assert Gone().detail == "Gone"


@override_settings(
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {"hi.html": "<p>Hi {{ name }}</p>"})]},
        }
    ]
)
def test_shortcuts_render_sends_the_template_as_html():
    from django_bolt.shortcuts import render

    api = BoltAPI()

    @api.get("/page")
    def page(request, name: str) -> object:
        return render(request, "hi.html", {"name": name}, status=201)

    with TestClient(api) as client:
        r = client.get("/page?name=<b>")
        assert r.status_code == 201 and r.headers["content-type"].startswith("text/html")
        assert r.text == "<p>Hi &lt;b&gt;</p>"


# -- the project-wide defaults, in process --------------------------------------------------------


def _guarded_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/closed")
    def closed() -> dict:
        return {}

    @api.get("/open", guards=[django_bolt.AllowAny()])
    def opened() -> dict:
        return {}

    return api


@pytest.mark.parametrize(
    ("auth", "guards"),
    [
        ("BOLT_AUTHENTICATION_CLASSES", "BOLT_DEFAULT_PERMISSION_CLASSES"),
        ("BOLT_AUTHENTICATION", "BOLT_DEFAULT_GUARDS"),
    ],
)
def test_default_guards_reach_routes_declared_under_them(auth, guards):
    with override_settings(**{auth: [django_bolt.JWTAuthentication()], guards: [django_bolt.IsAuthenticated()]}):
        api = _guarded_api()
    with TestClient(api) as client:
        closed = client.get("/closed")
        assert closed.status_code == 401 and closed.headers["www-authenticate"] == "Bearer"
        token = django_bolt.create_jwt_for_user(_user())
        assert client.get("/closed", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/open").status_code == 200


def _user():
    from django.contrib.auth.models import User

    return User(pk=1, username="u")


def test_a_guard_class_is_accepted_as_its_instance():
    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=[django_bolt.IsAuthenticated]):
        api = _guarded_api()
    with TestClient(api) as client:
        # No authentication backend: nobody can be authenticated, so 403 (not a challenge).
        assert client.get("/closed").status_code == 403
        assert client.get("/open").status_code == 200


def test_both_names_set_to_the_same_value_is_fine_and_different_is_an_error():
    from django_bolt import conf

    same = [django_bolt.IsAuthenticated()]
    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=same, BOLT_DEFAULT_GUARDS=[django_bolt.IsAuthenticated()]):
        assert conf.default_guards() == same
    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=same, BOLT_DEFAULT_GUARDS=[django_bolt.AllowAny()]):
        with pytest.raises(ImproperlyConfigured, match="both set, to different values"):
            conf.default_guards()
        with pytest.raises(ImproperlyConfigured, match="BOLT_DEFAULT_GUARDS"):
            _guarded_api()


def test_get_default_classes_as_django_bolt_reads_them():
    from django_bolt.auth import get_default_authentication_classes, get_default_permission_classes

    assert get_default_authentication_classes() == []
    [only] = get_default_permission_classes()
    assert isinstance(only, django_bolt.AllowAny)
    jwt = django_bolt.JWTAuthentication()
    with override_settings(BOLT_AUTHENTICATION_CLASSES=[jwt], BOLT_DEFAULT_PERMISSION_CLASSES=[]):
        assert get_default_authentication_classes() == [jwt]
        assert get_default_permission_classes() == []


def test_settings_read_with_django_bolts_meaning(caplog):
    from django_bolt import conf

    with override_settings(BOLT_STATIC_MAX_AGE=3600, BOLT_MEDIA_MAX_AGE=0, BOLT_MAX_UPLOAD_SIZE=2048):
        assert conf.max_age_header("BOLT_STATIC_MAX_AGE", "public") == "public, max-age=3600"
        assert conf.max_age_header("BOLT_MEDIA_MAX_AGE", "private") == "private, max-age=0"
        assert conf.max_upload_size() == 2048
    assert conf.max_upload_size() is None and conf.max_age_header("BOLT_STATIC_MAX_AGE", "public") is None
    with override_settings(BOLT_STATIC_MAX_AGE=True), pytest.raises(ImproperlyConfigured, match="int of 0 or more"):
        conf.check_settings()
    assert conf.dev_force_polling() is False
    with override_settings(BOLT_DEV_FORCE_POLLING=True):
        assert conf.dev_force_polling() is True
    with override_settings(BOLT_LOG_QUEUE_SIZE=100, BOLT_EMIT_SIGNALS=True):
        with caplog.at_level("WARNING", logger="django_bolt"):
            conf.check_settings()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "BOLT_LOG_QUEUE_SIZE has no effect on this server"
    ]
