"""Settings for the real server of test_server.py: the demo's, serving only viewset_api.py."""

from demo.settings import *  # noqa: F403

BOLT_API = ["viewset_api:api"]
