"""A Django session through bolt: the admin's login form, its CSRF token and cookies.

b = logged_in(server, admin_user)           # admin_user: the fixture in conftest.py
resp, page = b.request("GET", "/admin/")
fetch(server.port, "GET", "/session/me", headers=[("Cookie", b.cookie_header())])
"""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from support.projects import manage_shell

ADMIN = ("admin", "s3cret-pass")


def ensure_admin() -> tuple[str, str]:
    """The demo's superuser ``admin`` with a known password (created or reset); its credentials."""
    user, password = ADMIN
    manage_shell(
        "from django.contrib.auth.models import User\n"
        f"u, _ = User.objects.get_or_create(username={user!r}, defaults={{'is_staff': True, 'is_superuser': True}})\n"
        "u.is_staff = u.is_superuser = True\n"
        f"u.set_password({password!r})\n"
        "u.save()\n"
    )
    return ADMIN


class Browser:
    """Just enough of a browser: keeps cookies, does not follow redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None, referer: bool = False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": self.cookie_header()}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if referer:
            headers["Referer"] = f"http://127.0.0.1:{self.port}/admin/login/"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        for raw in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for k, m in jar.items():
                self.cookies[k] = m.value
        conn.close()
        return resp, data.decode("utf-8", "replace")


def csrf_token(page: str) -> str:
    """The ``csrfmiddlewaretoken`` of a Django form page."""
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def logged_in(server, admin_user) -> Browser:
    """A browser logged in to the admin as ``admin_user`` (user, password)."""
    b = Browser(server.port)
    _, page = b.request("GET", "/admin/login/?next=/admin/")
    token = csrf_token(page)
    resp, _ = b.request(
        "POST",
        "/admin/login/?next=/admin/",
        form={"csrfmiddlewaretoken": token, "username": admin_user[0], "password": admin_user[1], "next": "/admin/"},
        referer=True,
    )
    assert resp.status == 302
    return b
