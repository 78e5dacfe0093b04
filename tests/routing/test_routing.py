"""Routing and response kinds, end to end over TCP (see examples/demo/demo/api.py)."""

from support.wire import Conn, fetch, get, json_body


def assert_json(resp, status: int, body) -> None:
    assert resp.status == status, resp.raw[:500]
    assert resp.content_type is not None and resp.content_type.startswith("application/json")
    assert resp.json() == body


def test_hello_returns_json(server):
    resp = get(server.port, "/hello")
    assert_json(resp, 200, {"message": "Hello, World!"})
    assert resp.header("content-length") == str(len(resp.body))


def test_path_param_is_coerced_to_int_and_query_defaults_to_null(server):
    assert_json(get(server.port, "/items/5"), 200, {"id": 5, "q": None})


def test_query_param_is_passed_through(server):
    assert_json(get(server.port, "/items/5?q=hi"), 200, {"id": 5, "q": "hi"})


def test_query_param_is_percent_decoded(server):
    assert_json(get(server.port, "/items/7?q=a%20b%2Fc"), 200, {"id": 7, "q": "a b/c"})


def test_non_integer_path_param_gives_422(server):
    resp = get(server.port, "/items/abc")
    assert resp.status == 422
    [error] = resp.json()["detail"]
    assert error["type"] == "int_parsing"
    assert error["loc"] == ["path", "id"]
    assert error["input"] == "abc"
    assert "msg" in error


def test_post_json_body_is_validated_and_echoed(server):
    item = {"name": "widget", "price": 9.99, "tags": ["a", "b"]}
    resp = fetch(server.port, "POST", "/items", headers=[("Content-Type", "application/json")], body=json_body(item))
    assert_json(resp, 200, item)


def test_post_json_body_fills_default_tags(server):
    resp = fetch(
        server.port,
        "POST",
        "/items",
        headers=[("Content-Type", "application/json")],
        body=json_body({"name": "widget", "price": 1.5}),
    )
    assert_json(resp, 200, {"name": "widget", "price": 1.5, "tags": []})


def test_post_body_missing_field_gives_422(server):
    resp = fetch(
        server.port,
        "POST",
        "/items",
        headers=[("Content-Type", "application/json")],
        body=json_body({"price": 1.5}),
    )
    assert resp.status == 422
    errors = resp.json()["detail"]
    missing = [e for e in errors if e["type"] == "missing"]
    assert len(missing) == 1, errors
    assert missing[0]["loc"][0] == "body" and missing[0]["loc"][-1] == "name"
    assert missing[0]["msg"] == "Field required"


def test_post_body_wrong_type_gives_422(server):
    resp = fetch(
        server.port,
        "POST",
        "/items",
        headers=[("Content-Type", "application/json")],
        body=json_body({"name": "widget", "price": "cheap"}),
    )
    assert resp.status == 422
    [error] = resp.json()["detail"]
    assert error["type"] == "float_parsing"
    assert error["loc"][0] == "body" and error["loc"][-1] == "price"
    assert error["input"] == "cheap"


def test_post_invalid_json_gives_422(server):
    resp = fetch(
        server.port,
        "POST",
        "/items",
        headers=[("Content-Type", "application/json")],
        body=b'{"name": "widget", ',
    )
    assert resp.status == 422
    [error] = resp.json()["detail"]
    assert error["loc"][0] == "body"
    assert {"type", "msg"} <= error.keys()


def test_put_item(server):
    item = {"name": "widget", "price": 2.5, "tags": []}
    resp = fetch(server.port, "PUT", "/items/3", headers=[("Content-Type", "application/json")], body=json_body(item))
    assert_json(resp, 200, {"id": 3, "updated": True})


def test_delete_item(server):
    assert_json(fetch(server.port, "DELETE", "/items/3"), 200, {"id": 3, "deleted": True})


def test_path_converter_captures_slashes(server):
    assert_json(get(server.port, "/files/a/b/c.txt"), 200, {"path": "a/b/c.txt"})


def test_unknown_path_gives_404_json(server):
    assert_json(get(server.port, "/no/such/route"), 404, {"detail": "Not Found"})


def test_wrong_method_gives_405_with_allow(server):
    resp = fetch(server.port, "DELETE", "/hello")
    assert resp.status == 405
    assert {"GET", "HEAD", "OPTIONS"} <= resp.tokens("allow")
    assert "DELETE" not in resp.tokens("allow")
    assert isinstance(resp.json()["detail"], str)


def test_head_has_get_headers_and_no_body(server):
    """The HEAD response is followed directly by the pipelined GET's response:
    any body bytes after the HEAD head would corrupt the second response."""
    with Conn(server.port) as conn:
        conn.send(b"HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        head = conn.read_response(head=True)
        got = conn.read_response()
    assert head.status == got.status == 200
    assert head.body == b""
    assert head.header("content-length") == str(len(got.body))
    assert head.content_type == got.content_type
    assert got.json() == {"message": "Hello, World!"}


def test_options_gives_204_with_allow(server):
    with Conn(server.port) as conn:
        conn.send(b"OPTIONS /items/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        options = conn.read_response()
        after = conn.read_response()
    assert options.status == 204
    assert options.body == b""
    assert {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"} <= options.tokens("allow")
    assert after.status == 200, "bytes after the 204 head must belong to the next response"


def test_plain_text_response(server):
    resp = get(server.port, "/text")
    assert resp.status == 200
    assert resp.content_type.startswith("text/plain")
    assert resp.body == b"hello"


def test_html_response(server):
    resp = get(server.port, "/html")
    assert resp.status == 200
    assert resp.content_type.startswith("text/html")
    assert resp.body


def test_redirect(server):
    # Redirect's default is django-bolt's 307.
    resp = get(server.port, "/redirect")
    assert resp.status == 307
    assert resp.header("location") == "/hello"


def test_status_code_from_route_declaration(server):
    assert_json(fetch(server.port, "POST", "/created", body=b""), 201, {"created": True})


def test_status_code_from_returned_tuple(server):
    assert_json(get(server.port, "/tuple"), 202, {"accepted": True})


def test_status_body_and_headers_from_returned_triple(server):
    resp = get(server.port, "/claims/tuple3")
    assert_json(resp, 201, {"made": True})
    assert resp.header("x-made-by") == "tuple"
    assert resp.header("location") == "/claims/tuple3/1"


def test_request_object_sees_method_path_query_body(server):
    resp = fetch(
        server.port,
        "POST",
        "/echo?a=1&b=two",
        headers=[("Content-Type", "text/plain")],
        body=b"raw body \xc3\xa9",
    )
    assert resp.status == 200
    data = resp.json()
    assert data["method"] == "POST"
    assert data["path"] == "/echo"
    assert data["query"] == {"a": "1", "b": "two"}
    assert data["body"] == "raw body \u00e9"
    assert data["content_type"].startswith("text/plain")


def test_unknown_method_gives_501(server):
    resp = fetch(server.port, "BREW", "/hello")
    assert resp.status == 501
    assert resp.json() == {"detail": "Not Implemented"}


def test_methods_are_case_sensitive(server):
    assert fetch(server.port, "get", "/hello").status == 501


def test_options_star_describes_the_server(server):
    resp = fetch(server.port, "OPTIONS", "*")
    assert resp.status == 204
    assert "GET" in resp.tokens("allow")


def test_prefixed_api_in_the_same_module_is_merged(server):
    resp = fetch(server.port, "GET", "/v2/hello")
    assert resp.status == 200
    assert resp.json() == {"message": "Hello from v2"}


def test_response_object_sets_status_headers_media_type(server):
    resp = fetch(server.port, "GET", "/response")
    assert resp.status == 203
    assert resp.content_type == "text/csv"
    assert resp.header("x-kind") == "raw"
    assert resp.body == b"raw,bytes"


def test_json_response_is_encoded_with_status_and_headers(server):
    resp = fetch(server.port, "GET", "/json")
    assert resp.status == 201
    assert resp.json() == {"wrapped": [1, 2]}
    assert resp.header("x-kind") == "json"


def test_named_http_exception_subclass(server):
    resp = fetch(server.port, "GET", "/missing/3")
    assert resp.status == 404
    assert resp.json() == {"detail": "no thing 3"}
