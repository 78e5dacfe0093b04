"""The competitor's settings serving only loadtests/ws_api.py (the WebSocket echo, ws_bench.py)."""

from compsite.settings import *  # noqa: F401,F403

BOLT_API = ["ws_api:api"]
