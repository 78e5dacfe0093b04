"""FastAPI's recommended spelling ``x: Annotated[T, Query(...)] = default`` (every marker, and
``Annotated[T, Depends(fn)]``) next to ``x: T = Query(default, ...)``: defaults after ``=`` are
used, ``= None`` makes a parameter optional, constraints are still enforced. Routes in
examples/demo/demo/annotated.py."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from support.errors import detail
from support.inproc import fetch
from support.projects import start_badsig
from support.wire import FORM, JSON, json_body, multipart


def ok(resp) -> dict:
    assert resp.status == 200, (resp.status, resp.body[:500])
    return resp.json()


def errors(resp) -> dict[tuple, str]:
    """{loc: type} of a 422."""
    return {tuple(e["loc"]): e["type"] for e in detail(resp, content_type=False)}


# --- Query ---------------------------------------------------------------------------------------


def test_query_defaults_in_both_spellings(app):
    assert ok(fetch(app, "GET", "/annotated/query")) == {
        "plain": 1,
        "k": 2,
        "page": 1,
        "maybe": None,
        "bare_none": None,
        "word": "hi",
        "tags": [],
    }


def test_query_values_given_in_both_spellings(app):
    q = urlencode(
        [
            ("plain", 7),
            ("k", 8),
            ("p", 9),
            ("maybe", 10),
            ("bare_none", 11),
            ("word", "abc"),
            ("tags", "x"),
            ("tags", "y"),
        ]
    )
    assert ok(fetch(app, "GET", f"/annotated/query?{q}")) == {
        "plain": 7,
        "k": 8,
        "page": 9,
        "maybe": 10,
        "bare_none": 11,
        "word": "abc",
        "tags": ["x", "y"],
    }


def test_query_constraints_are_enforced_in_the_annotated_spelling(app):
    q = urlencode([("plain", -1), ("k", -1), ("p", 0), ("word", "A"), ("tags", "1"), ("tags", "2"), ("tags", "3")])
    assert errors(fetch(app, "GET", f"/annotated/query?{q}")) == {
        ("query", "plain"): "greater_than_equal",
        ("query", "k"): "greater_than_equal",
        ("query", "p"): "greater_than_equal",
        ("query", "word"): "string_too_short",
        ("query", "tags"): "too_long",
    }
    assert errors(fetch(app, "GET", "/annotated/query?k=two&bare_none=x")) == {
        ("query", "k"): "int_parsing",
        ("query", "bare_none"): "int_parsing",
    }


def test_query_without_a_default_is_required_in_both_spellings(app):
    assert errors(fetch(app, "GET", "/annotated/query/required")) == {
        ("query", "k"): "missing",
        ("query", "plain"): "missing",
    }
    assert ok(fetch(app, "GET", "/annotated/query/required?k=0&plain=0")) == {"k": 0, "plain": 0}
    assert errors(fetch(app, "GET", "/annotated/query/required?k=-1&plain=0")) == {("query", "k"): "greater_than_equal"}


def test_a_default_inside_the_annotated_marker_alone_still_counts(app):
    assert ok(fetch(app, "GET", "/annotated/query/inside")) == {"k": 5}
    assert ok(fetch(app, "GET", "/annotated/query/inside?k=6")) == {"k": 6}
    assert errors(fetch(app, "GET", "/annotated/query/inside?k=-6")) == {("query", "k"): "greater_than_equal"}


def test_annotated_path_constraint(app):
    assert ok(fetch(app, "GET", "/annotated/path/3")) == {"n": 3}
    assert errors(fetch(app, "GET", "/annotated/path/0")) == {("path", "n"): "greater_than_equal"}


# --- Header and Cookie ---------------------------------------------------------------------------


def test_header_defaults_in_both_spellings(app):
    assert ok(fetch(app, "GET", "/annotated/headers")) == {
        "x_mode": "plain",
        "x_level": 3,
        "x_trace": None,
        "key": "anon",
    }


def test_headers_given_in_both_spellings(app):
    h = [("X-Mode", "fast"), ("X-Level", "5"), ("X-Trace", "t-1"), ("X-Key", "k-1")]
    assert ok(fetch(app, "GET", "/annotated/headers", headers=h)) == {
        "x_mode": "fast",
        "x_level": 5,
        "x_trace": "t-1",
        "key": "k-1",
    }


def test_header_constraints_in_the_annotated_spelling(app):
    assert errors(fetch(app, "GET", "/annotated/headers", headers=[("X-Level", "6")])) == {
        ("header", "x-level"): "less_than_equal"
    }


def test_cookie_defaults_in_both_spellings(app):
    assert ok(fetch(app, "GET", "/annotated/cookies")) == {"sid": "none", "theme": "light", "lang": None}


def test_cookies_given_in_both_spellings(app):
    resp = fetch(app, "GET", "/annotated/cookies", headers=[("Cookie", "sid=s1; theme=dark; l=fr")])
    assert ok(resp) == {"sid": "s1", "theme": "dark", "lang": "fr"}


def test_cookie_constraints_in_the_annotated_spelling(app):
    resp = fetch(app, "GET", "/annotated/cookies", headers=[("Cookie", "theme=pink")])
    assert errors(resp) == {("cookie", "theme"): "string_pattern_mismatch"}


# --- Form and File -------------------------------------------------------------------------------


def test_form_defaults_in_both_spellings(app):
    assert ok(fetch(app, "POST", "/annotated/form", headers=FORM, body=b"")) == {
        "name": "anon",
        "age": 18,
        "nick": None,
    }


def test_form_fields_given_in_both_spellings(app):
    body = urlencode({"name": "Ada", "age": 36, "nick": "ada"}).encode()
    assert ok(fetch(app, "POST", "/annotated/form", headers=FORM, body=body)) == {
        "name": "Ada",
        "age": 36,
        "nick": "ada",
    }


def test_form_constraints_in_the_annotated_spelling(app):
    body = urlencode({"age": -1, "nick": "much-too-long"}).encode()
    assert errors(fetch(app, "POST", "/annotated/form", headers=FORM, body=body)) == {
        ("body", "age"): "greater_than_equal",
        ("body", "nick"): "string_too_long",
    }


def test_file_defaults_in_both_spellings(app):
    headers, body = multipart([("other", None, b"x")])
    assert ok(fetch(app, "POST", "/annotated/upload", headers=headers, body=body)) == {
        "title": "untitled",
        "doc": None,
        "old": None,
        "extra": [],
    }


def test_files_given_in_both_spellings(app):
    headers, body = multipart(
        [
            ("title", None, b"report"),
            ("doc", "a.pdf", b"%PDF-a"),
            ("old", "b.pdf", b"%PDF-b"),
            ("extra", "c.pdf", b"c"),
            ("extra", "d.pdf", b"d"),
        ]
    )
    assert ok(fetch(app, "POST", "/annotated/upload", headers=headers, body=body)) == {
        "title": "report",
        "doc": "a.pdf",
        "old": "b.pdf",
        "extra": ["c.pdf", "d.pdf"],
    }


# --- Body ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/annotated/body", "/annotated/body/plain"])
def test_body_default_none_in_both_spellings(app, path):
    assert ok(fetch(app, "POST", path, headers=JSON, body=b"")) == {"pet": None}
    assert ok(fetch(app, "POST", path, headers=JSON, body=json_body({"name": "rex"}))) == {
        "pet": {"name": "rex", "legs": 4}
    }
    assert errors(fetch(app, "POST", path, headers=JSON, body=json_body({"legs": 3}))) == {("body", "name"): "missing"}


def test_embedded_body_defaults_in_both_spellings(app):
    assert ok(fetch(app, "POST", "/annotated/body/embedded", headers=JSON, body=json_body({}))) == {
        "note": "none",
        "count": 1,
    }
    resp = fetch(app, "POST", "/annotated/body/embedded", headers=JSON, body=json_body({"note": "hey", "count": 4}))
    assert ok(resp) == {"note": "hey", "count": 4}


def test_embedded_body_constraints_in_both_spellings(app):
    resp = fetch(
        app,
        "POST",
        "/annotated/body/embedded",
        headers=JSON,
        body=json_body({"note": "far too long", "count": -1}),
    )
    assert errors(resp) == {("body", "note"): "string_too_long", ("body", "count"): "greater_than_equal"}


# --- Depends -------------------------------------------------------------------------------------


def test_annotated_depends_is_a_dependency_not_the_body(app):
    # A GET without a body: Annotated[Pet, Depends(...)] must not be read as the JSON body.
    body = ok(fetch(app, "GET", "/annotated/depends"))
    assert body == {"pet": "hi rex", "greeting": "hi", "same": True}


def test_annotated_depends_inside_a_dependency_with_its_parameters(app):
    resp = fetch(app, "GET", "/annotated/depends?loud=true", headers=[("X-Pet", "fido")])
    assert ok(resp) == {"pet": "HI FIDO", "greeting": "hi", "same": True}
    # The dependency's own parameters are validated like the handler's.
    assert errors(fetch(app, "GET", "/annotated/depends?loud=perhaps")) == {("query", "loud"): "bool_parsing"}


# --- start-up errors -----------------------------------------------------------------------------

_HEAD = (
    "from typing import Annotated\n\nfrom django_bolt import BoltAPI, Depends, Header, Query\n\n"
    "api = BoltAPI()\n\n\ndef dep() -> int:\n    return 1\n\n\n"
)

STARTUP_ERRORS = {
    "default_inside_and_after_equals": (
        "@api.get('/k')\ndef both(k: Annotated[int, Query(2, ge=0)] = 3) -> dict:\n    return {}\n",
        "site_badsig.api.both: parameter 'k' has a default both in Query() inside Annotated (2) and after '=' (3)",
    ),
    "marker_in_annotated_and_as_default": (
        "@api.get('/k')\ndef twice(k: Annotated[int, Query(ge=0)] = Query(3)) -> dict:\n    return {}\n",
        "site_badsig.api.twice: parameter 'k' has Query() in Annotated and Query() as its default",
    ),
    "annotated_depends_with_a_default": (
        "@api.get('/k')\ndef dep_default(d: Annotated[int, Depends(dep)] = 3) -> dict:\n    return {}\n",
        "site_badsig.api.dep_default: parameter 'd' has Depends() in Annotated and a default after '='",
    ),
    "two_markers_in_annotated": (
        "@api.get('/k')\ndef two(d: Annotated[str, Header(), Query()] = 'x') -> dict:\n    return {}\n",
        "site_badsig.api.two: parameter 'd' has several markers in Annotated (Header(), Query())",
    ),
}


@pytest.mark.parametrize("case", STARTUP_ERRORS)
def test_conflicting_markers_are_a_startup_error_naming_handler_and_parameter(tmp_path, case):
    source, expected = STARTUP_ERRORS[case]
    r = start_badsig(tmp_path, source, _HEAD)
    assert r.returncode == 1
    assert expected in r.stderr, r.stderr
