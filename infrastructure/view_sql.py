"""A small SQL session over the store's own database, SQLite or PostgreSQL, for the persisted
projections (`projections.sql.ViewSql`): one transaction at a time, `%s` placeholders on both
(`for_sqlite` is the one translation), upserts of many rows and the tracking rows' locks written
once per backend."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from infrastructure.store import environment


SCHEMA_LOCK = 0x6269_6C6C_7669_6577  # "billview": serializes the views' CREATE TABLE statements


def for_sqlite(statement: str) -> str:
    """Statements are written with `%s` placeholders (psycopg's); SQLite's are `?`."""
    return statement.replace("%s", "?")


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
            self.conn = sqlite3.connect(env["SQLITE_DBNAME"], timeout=30, isolation_level=None)
            self.missing_table = sqlite3.OperationalError

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self.conn.execute(sql if self.postgres else for_sqlite(sql), tuple(params))
        return cursor.fetchall() if cursor.description else []

    def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.postgres:
            with self.conn.cursor() as cursor:
                cursor.executemany(sql, rows)
        else:
            self.conn.executemany(for_sqlite(sql), rows)

    def insert(self, head: str, rows: list[Sequence[Any]], tail: str = "") -> None:
        """`head VALUES (…) tail` for every row: on PostgreSQL one statement of the rows as column
        arrays (`SELECT * FROM unnest(…)`: executemany costs a message per row, and psycopg parses
        a long `VALUES` list at every call), on SQLite an executemany. The rows must not conflict
        with one another when `tail` is an `ON CONFLICT DO UPDATE`."""
        if not rows:
            return
        if not self.postgres:
            self.executemany(f"{head} VALUES ({', '.join(['%s'] * len(rows[0]))}) {tail}", rows)
            return
        columns = [list(column) for column in zip(*rows)]
        arrays = ", ".join(f"%b::{array_type(column)}" for column in columns)
        self.execute(f"{head} SELECT * FROM unnest({arrays}) {tail}", columns)

    def select_in(self, sql: str, keys: Sequence[Any], chunk: int = 900) -> list[tuple]:
        """`sql` with its `IN ({})` filled with `keys`: one round trip per `chunk` keys."""
        rows: list[tuple] = []
        for i in range(0, len(keys), chunk):
            part = keys[i:i + chunk]
            rows += self.execute(sql.format(", ".join(["%s"] * len(part))), part)
        return rows

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
                    self.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                if names:
                    self.execute("SELECT position FROM projection_tracking WHERE name = ANY(%s) ORDER BY name "
                                 "FOR UPDATE", (names,))
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def log_head(self) -> int:
        """The position of the event log's last event (0 when empty)."""
        # the tables eventsourcing names: after the application on PostgreSQL (BillingApp.name)
        head = "SELECT MAX(notification_id) FROM billing_events" if self.postgres else "SELECT MAX(rowid) FROM stored_events"
        try:
            with self.reading():
                return self.execute(head)[0][0] or 0
        except self.missing_table:
            return 0

    def close(self) -> None:
        self.conn.close()
