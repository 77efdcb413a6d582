"""A small SQL door on the events' database, for the API's own table: SQLite or PostgreSQL.

Opened from the same URL as the store (``infrastructure.store.environment``), as the vault does.
Statements use ``%s`` placeholders, as every statement of the engine does; ``for_sqlite`` rewrites
them for SQLite.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from domain.errors import BillingError
from infrastructure.store import environment, redacted
from infrastructure.view_sql import for_sqlite

SCHEMA_LOCK_ID = 0x61706974  # "apit": not the event store's nor the vault's


class SqlError(BillingError):
    """The API's table cannot be reached."""


class Sql:
    """``rows(sql, params)`` and ``run(sql, params) -> rowcount`` on a short-lived connection."""

    def __init__(self, url: str) -> None:
        env = environment(url)
        self._url = redacted(url)
        self._pool: ConnectionPool | None = None
        self._sqlite_path: str | None = None
        if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
            self._pool = ConnectionPool(_conninfo(env), min_size=1, max_size=4, open=False,
                                        kwargs={"autocommit": True}, timeout=10)
            self._guard(lambda: self._pool.open(wait=True, timeout=10))
        else:
            self._sqlite_path = env["SQLITE_DBNAME"]

    @property
    def is_postgres(self) -> bool:
        return self._pool is not None

    def rows(self, statement: str, params: tuple = ()) -> list[tuple]:
        return self._guard(lambda: self._execute(statement, params, fetch=True))

    def run(self, statement: str, params: tuple = ()) -> int:
        return self._guard(lambda: self._execute(statement, params, fetch=False))

    def create(self, statement: str) -> None:
        """A CREATE TABLE IF NOT EXISTS, one process at a time on PostgreSQL."""
        if self._pool is None:
            self.run(statement)
            return

        def locked() -> None:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_ID,))
                conn.execute(statement)
        self._guard(locked)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def _execute(self, statement: str, params: tuple, fetch: bool) -> Any:
        if self._pool is not None:
            with self._pool.connection() as conn:
                cursor = conn.execute(statement, params)
                return cursor.fetchall() if fetch else cursor.rowcount
        conn = sqlite3.connect(self._sqlite_path, timeout=30, isolation_level=None)
        try:
            cursor = conn.execute(for_sqlite(statement), params)
            return cursor.fetchall() if fetch else cursor.rowcount
        finally:
            conn.close()

    def _guard(self, operation: Any) -> Any:
        try:
            return operation()
        except (psycopg.Error, sqlite3.Error, OSError) as exc:
            # Driver messages can quote parameters (token hashes): give the class only.
            raise SqlError(f"the API's table at {self._url} cannot be used ({type(exc).__name__})") from None


def _conninfo(env: dict[str, str]) -> str:
    return psycopg.conninfo.make_conninfo(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=env["POSTGRES_CONNECT_TIMEOUT"],
    )
