"""Handler exceptions become clean HTTP errors and leave the core serving."""

from support.wire import Conn, fetch, get


def test_unhandled_exception_gives_generic_500(server):
    resp = get(server.port, "/boom")
    assert resp.status == 500
    assert resp.content_type.startswith("application/json")
    assert resp.json() == {"detail": "Internal Server Error"}


def test_500_body_leaks_no_traceback(server):
    body = get(server.port, "/boom").body
    for leak in (b"Traceback", b"ValueError", b'File "', b"api.py"):
        assert leak not in body


def test_server_keeps_serving_after_a_500(server):
    assert get(server.port, "/boom").status == 500
    assert get(server.port, "/hello").json() == {"message": "Hello, World!"}


def test_connection_survives_a_500(server):
    """A handler error is not a protocol error: keep-alive continues."""
    with Conn(server.port) as conn:
        assert conn.request("GET", "/boom").status == 500
        assert conn.request("GET", "/hello").status == 200


def test_http_exception_sets_status_detail_and_headers(server):
    resp = get(server.port, "/teapot")
    assert resp.status == 418
    assert resp.json() == {"detail": "short and stout"}
    assert resp.header("x-tea") == "earl grey"


def test_django_http404_maps_to_404(server):
    resp = fetch(server.port, "GET", "/django-errors/404")
    assert resp.status == 404
    assert resp.json() == {"detail": "Not Found"}


def test_django_permission_denied_maps_to_403(server):
    resp = fetch(server.port, "GET", "/django-errors/403")
    assert resp.status == 403
    assert resp.json() == {"detail": "Forbidden"}


def test_django_suspicious_operation_maps_to_400(server):
    resp = fetch(server.port, "GET", "/django-errors/400")
    assert resp.status == 400
    assert resp.json() == {"detail": "Bad Request"}
