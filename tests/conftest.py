"""Fixtures for every folder of tests: a real ``bolt`` serving ``examples/demo``, once per driver.

The tests are grouped by feature, one folder each (``h1/``, ``routing/``, ``params/``, ...); every
folder is a package, so two test files may share a basename. What they share besides fixtures is
in the ``support`` package (see support/__init__.py).

Drivers come from ``BOLT_TEST_DRIVER``: ``uring`` (default), ``epoll``, or a
comma-separated list such as ``uring,epoll`` (``all`` means both). Each
session-scoped server is parametrized by driver, so ``BOLT_TEST_DRIVER=all``
runs every test against both. A test that starts a server of its own takes the ``driver``
fixture and passes it on (``BoltProcess.start(driver=driver)``); ``BoltProcess`` refuses to guess
when several drivers are under test.

    def test_hello(server):
        assert get(server.port, "/hello").json() == {"message": "Hello, World!"}
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from django_bolt.testing import TestClient
from support.boltproc import BoltProcess, drivers_under_test, serve
from support.paths import DEMO, PROJECTS
from support.pg import PostgresServer, demo_database, demo_postgres
from support.projects import run_demo_setup
from support.session import ensure_admin


def _drivers() -> list[str]:
    try:
        return drivers_under_test()
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None


DRIVERS = _drivers()


@pytest.fixture(scope="session")
def demo_db(request) -> Iterator[None]:
    """The demo database, migrated and seeded with 100 people: SQLite's file, or with
    ``BOLT_TEST_DATABASE=postgresql`` the ``postgres`` fixture's database, which every server
    started afterwards (and the in-process demo) then uses: its settings go into this process's
    environment, which servers inherit, for the rest of the session."""
    if demo_database() == "sqlite":
        run_demo_setup()
        yield
        return
    pg = request.getfixturevalue("postgres")
    saved = {k: os.environ.get(k) for k in pg.demo_env()}
    os.environ.update(pg.demo_env())
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL (tests/support/pg.py) with the demo database migrated and seeded like the
    SQLite one; ``postgres.demo_env()`` points a server at it. Skipped without the binaries (fails in CI)."""
    yield from demo_postgres()


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked for one database only are skipped on the other: ``sqlite_only`` ones (they
    touch the SQLite file itself) under ``BOLT_TEST_DATABASE=postgresql``, ``postgresql_only``
    ones (row locks) without it."""
    other = "postgresql_only" if demo_database() == "sqlite" else "sqlite_only"
    skip = pytest.mark.skip(reason=f"{other.removesuffix('_only')} only (BOLT_TEST_DATABASE={demo_database()})")
    for item in items:
        if item.get_closest_marker(other):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def admin_user(demo_db) -> tuple[str, str]:
    """(user, password) of the demo's superuser ``admin``, its password set again by each module
    that asks (see support.session.logged_in)."""
    return ensure_admin()


@pytest.fixture(scope="session", params=DRIVERS)
def driver(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def bolt_1core(demo_db, driver) -> Iterator[BoltProcess]:
    """``bolt --cores 1`` on the demo project, shared by the whole session."""
    yield from serve(cores=1, driver=driver)


@pytest.fixture(scope="session")
def bolt_2cores(demo_db, driver) -> Iterator[BoltProcess]:
    """``bolt --cores 2`` on the demo project."""
    yield from serve(cores=2, driver=driver)


@pytest.fixture
def server(bolt_1core: BoltProcess) -> Iterator[BoltProcess]:
    """The one-core server; after each test it must still be running."""
    bolt_1core.assert_alive()
    yield bolt_1core
    bolt_1core.assert_alive()


@pytest.fixture
def server2(bolt_2cores: BoltProcess) -> Iterator[BoltProcess]:
    bolt_2cores.assert_alive()
    yield bolt_2cores
    bolt_2cores.assert_alive()


# -- the demo served in this process (django_bolt.testing) ----------------------------------------
# Django can be set up once per process, so these are session-wide; the settings module is read
# once and taken out of the environment again, so servers other tests start do not inherit it.


@pytest.fixture(scope="session")
def demo_apis(demo_db) -> list:
    """Every BoltAPI of the demo, as ``bolt`` discovers them, with Django set up on demo.settings."""
    import django

    if str(DEMO) not in sys.path:
        sys.path.insert(0, str(DEMO))
    before = os.environ.get("DJANGO_SETTINGS_MODULE")
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    try:
        django.setup()
    finally:
        if before is None:
            del os.environ["DJANGO_SETTINGS_MODULE"]
        else:
            os.environ["DJANGO_SETTINGS_MODULE"] = before
    from django_bolt.discovery import discover_apis

    return discover_apis()


@pytest.fixture(scope="session")
def app(demo_apis) -> Iterator[TestClient]:
    """The demo's APIs behind ``TestClient`` (500s as responses, redirects not followed), for
    tests of the Python API: ``support.inproc.fetch(app, "GET", "/items/1")``."""
    with TestClient(demo_apis, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def edges(driver) -> Iterator[BoltProcess]:
    """bolt on tests/projects/edges: CORS, ``problem_details``, a 64 KiB upload limit and
    127.0.0.2 as a trusted proxy (refusals before dispatch, chunked uploads, forwarded scheme)."""
    server = BoltProcess.start(cwd=PROJECTS / "edges", driver=driver)
    try:
        yield server
    finally:
        server.stop()
