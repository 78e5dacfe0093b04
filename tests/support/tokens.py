"""JWTs for the demo's routes, signed by the extension's own encoder."""

from __future__ import annotations

import json

from django_bolt import _native

# examples/demo/demo/settings.py's SECRET_KEY: what the demo's JWT routes verify HS256 tokens with.
SECRET = b"django-insecure-demo-only-0b1t-s3cr3t-k3y-do-not-use-in-production"


def mint(claims: dict, secret: bytes = SECRET, alg: str = "HS256") -> str:
    return _native.jwt_encode(alg, secret, json.dumps(claims).encode())
