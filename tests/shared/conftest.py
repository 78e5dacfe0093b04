"""Two bolt servers ("hosts") of tests/projects/shared on their own ports, sharing one real Redis
through Django's cache (session-scoped: started once for every test here; each test uses its own keys)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.boltproc import BoltProcess
from support.paths import PROJECTS
from support.redisproc import RedisServer, require_redis

PROJECT = PROJECTS / "shared"
BOOT_TIMEOUT = 90.0


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
    # Both boot at once; on a box loaded by parallel builds a boot has taken over 30 s.
    a = BoltProcess.launch(cwd=PROJECT, driver=driver, env=env)
    b = BoltProcess.launch(cwd=PROJECT, driver=driver, env=env)
    try:
        a.wait_ready(BOOT_TIMEOUT)
        b.wait_ready(BOOT_TIMEOUT)
    except BaseException:
        a.kill()
        b.kill()
        raise
    try:
        yield a, b
    finally:
        code_b, code_a = b.stop(), a.stop()
        assert (code_a, code_b) == (0, 0), a.output() + b.output()
