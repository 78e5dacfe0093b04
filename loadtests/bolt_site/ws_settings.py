"""bolt_site's settings serving only loadtests/ws_api.py (the WebSocket echo, ws_bench.py). Idle
sockets are never timed out, so the 5,000 silent sockets of the idle run stay open."""

from bolt_site.settings import *  # noqa: F401,F403

BOLT_API = ["ws_api:api"]
BOLT_WS_CLIENT_TIMEOUT = 0
