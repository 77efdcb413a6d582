"""Checks of the test harness itself (tests/conftest.py and scripts/test)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_url_is_a_billing_db_inside_tmp_path(db_url: str, tmp_path: Path) -> None:
    assert db_url.startswith("sqlite:////")
    path = Path(db_url.removeprefix("sqlite:///"))
    assert path.is_absolute()
    assert path.name == "billing.db"
    assert path.parent == tmp_path.resolve()


def _describe(url: str) -> tuple[str, int]:
    with psycopg.connect(url) as conn:
        name = conn.execute("select current_database()").fetchone()[0]
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()[0]
        # Leave something behind: the next test must not see it.
        conn.execute("create table leftover (id int)")
    return name, tables


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_db_url_is_a_fresh_empty_database(db_url: str) -> None:
    name, tables = _describe(db_url)
    assert name.startswith("billing_test_")
    assert urlsplit(db_url).path == "/" + name
    assert tables == 0


_seen: list[str] = []


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_its_own_postgres_database(pg_url: str, run: int) -> None:
    name, tables = _describe(pg_url)
    assert name.startswith("billing_test_")
    assert tables == 0
    server = urlsplit(os.environ["BILLING_TEST_POSTGRES_URL"])
    assert urlsplit(pg_url)._replace(path="") == server._replace(path="")
    assert name not in _seen
    with psycopg.connect(os.environ["BILLING_TEST_POSTGRES_URL"]) as conn:
        query = "select count(*) from pg_database where datname = any(%s)"
        assert conn.execute(query, [[name]]).fetchone()[0] == 1
        assert conn.execute(query, [_seen]).fetchone()[0] == 0, "earlier tests' databases must be dropped"
    _seen.append(name)
