"""SQLite's statements: the portable ones with its `?` placeholders (the one translation, made
here once), and its own."""

from __future__ import annotations

from infrastructure.sql import portable

PLACEHOLDER = "?"


def translated(statement: str) -> str:
    return statement.replace("%s", PLACEHOLDER)


STATEMENTS = {name: translated(statement) for name, statement in portable.STATEMENTS.items()} | {
    "log.head": "SELECT MAX(rowid) FROM stored_events",  # eventsourcing's table on SQLite
    "transaction.begin": "BEGIN IMMEDIATE",  # the write lock at once: no upgrade from a read to deadlock on
    "transaction.commit": "COMMIT",
    "transaction.rollback": "ROLLBACK",
    "vault.create": "CREATE TABLE IF NOT EXISTS billing_client_keys (client_id TEXT PRIMARY KEY, "
                    "data_key BLOB NOT NULL, created_at TEXT NOT NULL)",
    "vault.secure_delete": "PRAGMA secure_delete = ON",  # a shredded key is overwritten, not just unlinked
    # the event recorder's bulk reads (infrastructure/sqlite_recorder.py), of eventsourcing's table
    "events.rows": "SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                   "WHERE rowid > ? {topics}ORDER BY rowid LIMIT ?",
    "events.rows_of_topics": "AND topic IN ({keys}) ",
    "events.of": "SELECT originator_id, originator_version, topic, state FROM {table} "
                 "WHERE originator_id IN ({keys}) ORDER BY originator_id, originator_version",
    "events.written_after": "SELECT rowid, originator_id FROM {table} WHERE rowid > ? ORDER BY rowid",
}
SCHEMAS = {view: tuple(map(translated, statements)) for view, statements in portable.SCHEMAS.items()}


def rows_slot(width: int) -> str:
    """An insert's rows, given to executemany one at a time."""
    return f"VALUES ({', '.join([PLACEHOLDER] * width)})"
