"""``Token`` (django-bolt's ``auth.token``): built, signed and verified by the Rust code that
guards routes; a token it signs authenticates a real route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from django_bolt import Token as TopLevelToken
from django_bolt.auth import Token
from support.tokens import SECRET
from support.wire import fetch


def test_create_encode_decode_round_trip():
    token = Token.create(
        "42", timedelta(minutes=5), issuer="me", audience="api", is_staff=True, permissions=["a.read"], tenant="t1"
    )
    assert token.is_admin is True and token.extras == {"tenant": "t1"}
    assert token.exp.microsecond == 0 and token.exp.tzinfo is UTC
    back = Token.decode(token.encode("s3cret"), "s3cret", audience="api", issuer="me")
    assert back.to_dict() == token.to_dict()
    assert (back.sub, back.permissions, back.extras) == ("42", ["a.read"], {"tenant": "t1"})
    assert TopLevelToken is Token


@pytest.mark.parametrize(
    "kwargs, why",
    [
        ({"secret": "other"}, "the wrong key"),
        ({"secret": "s3cret", "audience": "web"}, "another audience"),
        ({"secret": "s3cret", "issuer": "you"}, "another issuer"),
        ({"secret": "s3cret", "algorithm": "HS512"}, "another algorithm"),
    ],
)
def test_decode_refuses(kwargs, why):
    encoded = Token.create("1", audience="api", issuer="me").encode("s3cret")
    with pytest.raises(ValueError, match="Failed to decode token"):
        Token.decode(encoded, **kwargs)


def test_expiry_is_checked_unless_told_not_to():
    past = datetime.now(UTC) - timedelta(hours=1)
    old = Token(exp=past, sub="1", iat=past - timedelta(hours=1), _skip_validation=True).encode("k")
    with pytest.raises(ValueError, match="expired"):
        Token.decode(old, "k")
    assert Token.decode(old, "k", verify_exp=False).sub == "1"
    later = Token(exp=datetime.now(UTC) + timedelta(hours=2), sub="1", nbf=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(ValueError, match="nbf"):
        Token.decode(later.encode("k"), "k", verify_exp=False)
    assert Token.decode(later.encode("k"), "k", verify_nbf=False).sub == "1"


def test_bad_fields_are_refused():
    with pytest.raises(ValueError, match="sub"):
        Token(exp=datetime.now(UTC) + timedelta(hours=1), sub="")
    with pytest.raises(ValueError, match="future"):
        Token(exp=datetime.now(UTC) - timedelta(seconds=5), sub="1")
    with pytest.raises(ValueError, match="datetime"):
        Token(exp=123, sub="1")  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="only 'kid'"):
        Token.create("1").encode("k", headers={"x5u": "https://evil/"})


def test_encode_names_the_key():
    import base64
    import json

    head = Token.create("1").encode("k", headers={"kid": "a"}).split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"] == "a"


def test_a_token_it_signs_authenticates_a_route(server):
    encoded = Token.create("77").encode(SECRET)
    resp = fetch(server.port, "GET", "/claims/guards/allow-any", headers=[("Authorization", f"Bearer {encoded}")])
    assert resp.status == 200 and resp.json() == {"sub": "77"}
