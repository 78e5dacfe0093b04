"""django-bolt 0.13's ASGI mounts page (docs/src/topics/asgi-mounts.md), its examples as written.

Where the page cannot run as printed: each snippet starts its own ``api = BoltAPI()``, so each is
its own API here (``metrics_api``, ``django_api``, ``legacy_api``, ``admin_api``: ``# renamed:``);
``custom_asgi_app``, which the page assumes, is defined (``# defined:``). The page calls these
mounts HTTP-only; django-bolt 0.13's code (and this server) hands WebSocket upgrades to a mounted
app too, except to Django's own ASGI handler (tests/routing/test_asgi_mounts.py).
"""

from django_bolt import BoltAPI

metrics_api = BoltAPI()  # renamed: api


async def metrics_app(scope, receive, send):
    assert scope["type"] == "http"

    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"ok":true}', "more_body": False})


metrics_api.mount_asgi("/metrics", metrics_app)


django_api = BoltAPI()  # renamed: api
django_api.mount_django("/django")


async def custom_asgi_app(scope, receive, send):  # defined
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": f"legacy {scope['root_path']} {scope['path']}".encode()})


legacy_api = BoltAPI()  # renamed: api
legacy_api.mount_django("/legacy", app=custom_asgi_app)


admin_api = BoltAPI()  # renamed: api
admin_api.mount_django("/admin", clear_root_path=True)

APIS = [metrics_api, django_api, legacy_api, admin_api]
