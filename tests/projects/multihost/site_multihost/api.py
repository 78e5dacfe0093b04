"""The routes tests/multihost asks both hosts: who answered, a database row, a session, refresh
tokens and a shared rate limit. Every answer names the host (``MH_HOST``) that gave it."""

import inspect
import os
import sys

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, authenticate
from django.core.cache import cache, caches
from django.shortcuts import get_object_or_404

from django_bolt import BoltAPI, Struct
from django_bolt.auth import IsAuthenticated, JWTAuthentication, SessionAuthentication
from django_bolt.auth.revocation import DjangoCacheRevocation
from django_bolt.auth.tokens import TokenRotationError, create_token_pair, rotate_refresh_token
from django_bolt.exceptions import Unauthorized
from django_bolt.ratelimit import rate_limit
from django_bolt.responses import JSON

from .notes.models import Note

api = BoltAPI()
HOST = os.environ.get("MH_HOST", "?")


class Credentials(Struct):
    username: str
    password: str


class NoteIn(Struct):
    text: str


class RefreshIn(Struct):
    refresh: str


@api.get("/host")
def host() -> dict:
    return {"host": HOST}


@api.post("/notes", status_code=201)
def write_note(body: NoteIn) -> dict:
    note = Note.objects.create(text=body.text, host=HOST)
    return {"id": note.pk, "host": HOST}


@api.get("/notes/{note_id}")
def read_note(note_id: int) -> dict:
    note = get_object_or_404(Note, pk=note_id)
    return {"text": note.text, "written_by": note.host, "host": HOST}


class CacheIn(Struct):
    value: str


@api.put("/cache/{key}")
def cache_put(key: str, body: CacheIn) -> dict:
    cache.set(f"mh:{key}", body.value, 60)
    return {"host": HOST}


@api.get("/cache/{key}")
def cache_get(key: str) -> dict:
    """The value and which client this sub-interpreter talks to Redis with: redis-py, pure
    Python (no hiredis parser)."""
    import redis

    return {
        "value": cache.get(f"mh:{key}"),
        "host": HOST,
        "backend": type(caches["default"]).__name__,
        "redis_py": redis.__version__,
        "hiredis": "hiredis" in sys.modules,
    }


def _user(body: Credentials):
    user = authenticate(username=body.username, password=body.password)
    if user is None:
        raise Unauthorized("bad credentials")
    return user


@api.post("/login")
def login(request, body: Credentials) -> JSON:
    """Logs in as Django's ``login()`` would (the session keys it sets), in the database."""
    user = _user(body)
    session = request.session
    session.cycle_key()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = user.backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return JSON({"host": HOST}).set_cookie(settings.SESSION_COOKIE_NAME, session.session_key, httponly=True)


@api.get("/whoami", auth=[SessionAuthentication(csrf=False)], guards=[IsAuthenticated()])
def whoami(request) -> dict:
    return {"username": request.user.username, "host": HOST}


@api.post("/token")
def token(body: Credentials) -> dict:
    return {**create_token_pair(_user(body)), "host": HOST}


#: Spent refresh tokens and revoked families, in the cache both hosts share (Redis).
refresh_store = DjangoCacheRevocation("default")


@api.post("/refresh", auth=[JWTAuthentication(token_type="refresh", require_jti=True)], guards=[IsAuthenticated()])
async def refresh(request) -> dict:
    """A spent refresh token (the bearer token here) is refused on every host: the rotation state
    is in the shared cache."""
    try:
        pair = await rotate_refresh_token(request.auth, store=refresh_store)
    except TokenRotationError as e:
        raise Unauthorized(f"refresh refused: {e}") from None
    return {**pair, "host": HOST}


# The same limit twice: per core (each host counts alone: LIMIT_BURST each) and shared (counted
# across hosts in the cache BOLT_RATE_LIMIT_CACHE names: LIMIT_BURST in all). rps is tiny so no
# token comes back (and no window ends) during a test. Where rate_limit has no ``shared`` yet,
# /limited/shared is not served and tests/multihost's test of it is an expected failure.
LIMIT_BURST = 4
LIMIT_RPS = 0.001


@api.get("/limited/local")
@rate_limit(rps=LIMIT_RPS, burst=LIMIT_BURST)
def limited_local() -> dict:
    return {"host": HOST}


if "shared" in inspect.signature(rate_limit).parameters:

    @api.get("/limited/shared")
    @rate_limit(rps=LIMIT_RPS, burst=LIMIT_BURST, shared=True)
    def limited_shared() -> dict:
        return {"host": HOST}
