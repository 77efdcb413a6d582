"""A small SQL session over the store's own database, SQLite or PostgreSQL, for the persisted
projections: one transaction at a time, `%s` placeholders on both."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from infrastructure.store import environment


class SqlSession:
    def __init__(self, url: str):
        env = environment(url)
        self.postgres = env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        if self.postgres:
            self.conn: Any = psycopg.connect(
                dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
                user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None)
        else:
            self.conn = sqlite3.connect(env["SQLITE_DBNAME"], timeout=30, isolation_level=None)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self.conn.execute(sql if self.postgres else sql.replace("%s", "?"), tuple(params))
        return cursor.fetchall() if cursor.description else []

    def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.postgres:
            with self.conn.cursor() as cursor:
                cursor.executemany(sql, rows)
        else:
            self.conn.executemany(sql.replace("%s", "?"), rows)

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[SqlSession]:
        """One transaction; `lock` names a row of projection_tracking held until the end."""
        if self.postgres:
            with self.conn.transaction():
                if lock:
                    self.execute("SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE", (lock,))
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
