"""A small SQL session over the store's own database, SQLite or PostgreSQL, for the persisted
projections (`projections.sql.ViewSql`): it runs statements by name, from its backend's module
(`infrastructure/sql/`), one transaction at a time, with upserts of many rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from infrastructure.sql import postgres, sqlite
from infrastructure.store import environment


def array_type(column: list[Any]) -> str:
    """The PostgreSQL array type of a column of values to insert (text, or integers)."""
    return "bigint[]" if any(isinstance(v, int) for v in column) else "text[]"


class SqlSession:
    def __init__(self, url: str):
        env = environment(url)
        self.postgres = env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        if self.postgres:
            import psycopg  # here: a read on SQLite never loads the PostgreSQL driver

            self.conn: Any = psycopg.connect(
                dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
                user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None)
            self.missing_table: type[Exception] = psycopg.errors.UndefinedTable
        else:
            # Kept idle between reads, a session serves one thread at a time but not always the same one.
            self.conn = sqlite3.connect(env["SQLITE_DBNAME"], timeout=30, isolation_level=None,
                                        check_same_thread=False)
            self.missing_table = sqlite3.OperationalError
        self.backend: Any = postgres if self.postgres else sqlite
        self.schemas_made: set[str] = set()

    def execute(self, name: str, params: Sequence[Any] = (), table: str = "") -> list[tuple]:
        """The statement of that name (`table` fills its `{table}` slot)."""
        return self._run(self.backend.STATEMENTS[name].format(table=table), params)

    def _run(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self.conn.execute(statement, tuple(params))
        return cursor.fetchall() if cursor.description else []

    def insert(self, name: str, rows: list[Sequence[Any]], table: str = "") -> None:
        """The insert of that name for every row: on PostgreSQL one statement of the rows as column
        arrays, on SQLite an executemany. The rows must not conflict with one another when it is an
        `ON CONFLICT DO UPDATE`."""
        if not rows:
            return
        statement = self.backend.STATEMENTS[name]
        if not self.postgres:
            self.conn.executemany(statement.format(table=table, rows=sqlite.rows_slot(len(rows[0]))), rows)
            return
        columns = [list(column) for column in zip(*rows)]
        self._run(statement.format(table=table, rows=postgres.rows_slot([array_type(c) for c in columns])), columns)

    def select_in(self, name: str, keys: Sequence[Any], table: str = "", chunk: int = 900) -> list[tuple]:
        """The statement of that name with its `IN ({keys})` filled with `keys`: one round trip per
        `chunk` keys."""
        rows: list[tuple] = []
        for i in range(0, len(keys), chunk):
            part = keys[i:i + chunk]
            slots = ", ".join([self.backend.PLACEHOLDER] * len(part))
            rows += self._run(self.backend.STATEMENTS[name].format(table=table, keys=slots), part)
        return rows

    def create_schema(self, view: str) -> None:
        """The tables of that view (infrastructure/sql/portable.py: SCHEMAS)."""
        for statement in self.backend.SCHEMAS[view]:
            self._run(statement)

    @contextmanager
    def reading(self) -> Iterator[SqlSession]:
        """Reads only: a transaction on PostgreSQL (never left open after), SQLite's autocommit."""
        if self.postgres:
            with self.conn.transaction():
                yield self
            return
        yield self

    @contextmanager
    def transaction(self, lock: str | Sequence[str] | None = None, schema: bool = False) -> Iterator[SqlSession]:
        """One transaction; `lock` names one or more rows of projection_tracking, held until the end
        (taken in the order of their names, so that followers of several views never deadlock);
        `schema`: it creates tables, one such transaction at a time (on PostgreSQL two concurrent
        `CREATE TABLE IF NOT EXISTS` of one table can fail; SQLite's write lock serializes them)."""
        names = sorted([lock] if isinstance(lock, str) else lock or ())
        if self.postgres:
            with self.conn.transaction():
                if schema:
                    self.execute("schema.lock")
                if names:
                    self.execute("tracking.lock", (names,))
                yield self
            return
        self.execute("transaction.begin")
        try:
            yield self
        except BaseException:
            self.execute("transaction.rollback")
            raise
        self.execute("transaction.commit")

    def log_head(self) -> int:
        """The position of the event log's last event (0 when empty)."""
        try:
            with self.reading():
                return self.execute("log.head")[0][0] or 0
        except self.missing_table:
            return 0

    def close(self) -> None:
        self.conn.close()
