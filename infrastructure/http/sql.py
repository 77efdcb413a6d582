"""A small SQL door on the events' database, for the API's own table: SQLite or PostgreSQL.

Opened from the same URL as the store (``infrastructure.store.environment``), as the vault does.
It runs statements by name, from its backend's module (``infrastructure/sql/``).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from domain.errors import BillingError
from infrastructure.store import environment, redacted
from infrastructure.sql import postgres, sqlite



class SqlError(BillingError):
    """The API's table cannot be reached."""


class Sql:
    """``rows(sql, params)`` and ``run(sql, params) -> rowcount``: on PostgreSQL through a pool; on
    SQLite on one connection per thread, kept (in autocommit: no transaction stays open), as
    opening one costs more than the token check it serves."""

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
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    @property
    def is_postgres(self) -> bool:
        return self._pool is not None

    def rows(self, name: str, params: tuple = ()) -> list[tuple]:
        return self._guard(lambda: self._execute(name, params, fetch=True))

    def run(self, name: str, params: tuple = ()) -> int:
        return self._guard(lambda: self._execute(name, params, fetch=False))

    def create(self, name: str) -> None:
        """A CREATE TABLE IF NOT EXISTS, one process at a time on PostgreSQL."""
        if self._pool is None:
            self.run(name)
            return

        def locked() -> None:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute(postgres.STATEMENTS["tokens.lock"])
                conn.execute(postgres.STATEMENTS[name])
        self._guard(locked)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        for conn in self._opened:
            conn.close()
        self._opened.clear()
        self._local = threading.local()

    def _execute(self, name: str, params: tuple, fetch: bool) -> Any:
        if self._pool is not None:
            with self._pool.connection() as conn:
                cursor = conn.execute(postgres.STATEMENTS[name], params)
                return cursor.fetchall() if fetch else cursor.rowcount
        cursor = self._sqlite().execute(sqlite.STATEMENTS[name], params)
        return cursor.fetchall() if fetch else cursor.rowcount

    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._sqlite_path, timeout=30, isolation_level=None, check_same_thread=False)
            self._local.conn = conn
            self._opened.append(conn)
        return conn

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
