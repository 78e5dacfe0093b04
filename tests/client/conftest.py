"""The test client's own tests (``demo_apis`` and ``app`` come from tests/conftest.py)."""

from __future__ import annotations

# A user's suite with its own pytest.ini, run as a session of its own by test_usersuite.py.
collect_ignore = ["usersuite"]
