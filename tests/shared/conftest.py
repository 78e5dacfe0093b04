"""Two bolt servers ("hosts") of tests/projects/shared on their own ports, sharing one real Redis
through Django's cache (session-scoped: started once for every test here; each test uses its own keys)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.boltproc import BoltProcess
from support.paths import PROJECTS
from support.redisproc import RedisServer, require_redis

PROJECT = PROJECTS / "shared"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    require_redis()
    server = RedisServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def two_hosts(redis_server, driver) -> Iterator[tuple[BoltProcess, BoltProcess]]:
    env = {"SHARED_REDIS_URL": redis_server.url}
    a = BoltProcess.start(cwd=PROJECT, driver=driver, env=env)
    try:
        b = BoltProcess.start(cwd=PROJECT, driver=driver, env=env)
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        code_b, code_a = b.stop(), a.stop()
        assert (code_a, code_b) == (0, 0), a.output() + b.output()
