"""Storage fixtures: every application test runs on SQLite and on PostgreSQL.

- ``db_url``: parametrized ``sqlite`` / ``postgres``. SQLite gives
  ``sqlite:////<tmp_path>/billing.db``; PostgreSQL gives a brand-new, empty
  database on the server of ``BILLING_TEST_POSTGRES_URL``, dropped afterwards.
- ``pg_url``: the PostgreSQL case alone, for tests that only make sense there.

Without ``BILLING_TEST_POSTGRES_URL`` the PostgreSQL cases are skipped, or fail
when ``BILLING_REQUIRE_POSTGRES=1`` (as ``scripts/test`` sets).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

if TYPE_CHECKING:
    from tests.services import Engine

SERVER_URL_ENV = "BILLING_TEST_POSTGRES_URL"
REQUIRE_ENV = "BILLING_REQUIRE_POSTGRES"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against a throwaway PostgreSQL database")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark every test that touches PostgreSQL, so `-m "not postgres"` works.
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_db_url = callspec is not None and callspec.params.get("db_url") == "postgres"
        if on_db_url or "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _server_url() -> str:
    url = os.environ.get(SERVER_URL_ENV, "")
    if url:
        return url
    reason = f"{SERVER_URL_ENV} is not set (scripts/test starts a server and sets it)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 forbids skipping PostgreSQL tests", pytrace=False)
    pytest.skip(reason)


def _with_dbname(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


def _fresh_postgres_database() -> Iterator[str]:
    server = _server_url()
    name = f"billing_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        # Same encoding and collation whatever the server's defaults are.
        create = "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"
        conn.execute(sql.SQL(create).format(sql.Identifier(name)))
    try:
        yield _with_dbname(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database of the parametrized backend, private to this test."""
    if request.param == "sqlite":
        yield "sqlite:///" + str((tmp_path / "billing.db").resolve())
    else:
        yield from _fresh_postgres_database()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The application services on an empty store of the parametrized backend."""
    from tests.services import Engine  # the services import this module's database helpers

    engine = Engine(db_url)
    yield engine
    engine.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a brand-new, empty PostgreSQL database, dropped after the test."""
    yield from _fresh_postgres_database()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend's name, for property tests that make a fresh store per example."""
    if request.param == "postgres":
        _server_url()  # skips, or fails, here when there is no server
    return request.param


def copied_store(url: str, folder: Path, name: str) -> str:
    """A copy of the store at `url` (nothing may be connected to it while it is copied): another
    file next to it on SQLite, a database made from it as a template on PostgreSQL (dropped with
    the server's test databases)."""
    if url.startswith("sqlite:///"):
        import sqlite3

        target = (folder / f"{name}.db").resolve()
        with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return "sqlite:///" + str(target)
    copy = f"{urlsplit(url).path.lstrip('/')}_{name}"
    with psycopg.connect(_server_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(copy), sql.Identifier(urlsplit(url).path.lstrip("/"))))
    return _with_dbname(url, copy)


def drop_copy(url: str) -> None:
    if not url.startswith("sqlite:///"):
        with psycopg.connect(_server_url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(urlsplit(url).path.lstrip("/"))))
