"""PostgreSQL's statements: the portable ones as written (psycopg's `%s`), and its own."""

from __future__ import annotations

from infrastructure.sql import portable

PLACEHOLDER = "%s"
# advisory locks, each its own key
SCHEMA_LOCK = 0x6269_6C6C_7669_6577  # "billview": serializes the views' CREATE TABLE statements
STORE_SCHEMA_LOCK = 0x62696C6C  # "bill": the event store's tables
VAULT_LOCK = 0x7661756C  # "vaul"
TOKENS_LOCK = 0x61706974  # "apit"
ADVANCE_PARTS_LOCKS = 0x61647670  # "advp": the first of the two keys of a partition's lock

STATEMENTS = portable.STATEMENTS | {
    "log.head": "SELECT MAX(notification_id) FROM billing_events",  # eventsourcing's table: after the application
    "schema.lock": f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})",
    "tracking.lock": "SELECT position FROM projection_tracking WHERE name = ANY(%s) ORDER BY name FOR UPDATE",
    "store.schema_lock": f"SELECT pg_advisory_lock({STORE_SCHEMA_LOCK})",
    "vault.lock": f"SELECT pg_advisory_xact_lock({VAULT_LOCK})",
    "vault.create": "CREATE TABLE IF NOT EXISTS billing_client_keys (client_id TEXT PRIMARY KEY, "
                    "data_key BYTEA NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    "tokens.lock": f"SELECT pg_advisory_xact_lock({TOKENS_LOCK})",
    "lock.try": "SELECT pg_try_advisory_lock(%s)",  # infrastructure/locks.py: one runner at a time
    "lock.release": "SELECT pg_advisory_unlock(%s)",
    # a partition of a one-shot advance (infrastructure/advance_run.py): one key per partition, in a space of its own
    "lock.try_part": f"SELECT pg_try_advisory_lock({ADVANCE_PARTS_LOCKS}, %s)",
    "lock.release_part": f"SELECT pg_advisory_unlock({ADVANCE_PARTS_LOCKS}, %s)",
    # the event recorder's (infrastructure/pg_recorder.py), of eventsourcing's table: psycopg.sql templates
    "events.insert_columns": "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
                             "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
                             "RETURNING notification_id",
    "events.rows": "SELECT notification_id, originator_id, originator_version, topic, state FROM {table} "
                   "WHERE notification_id > %s AND (%s OR topic = ANY(%s)) ORDER BY notification_id LIMIT %s",
    "events.of": "SELECT originator_id, originator_version, topic, state FROM {table} "
                 "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version",
    "events.written_after": "SELECT notification_id, originator_id FROM {table} WHERE notification_id > %s "
                            "ORDER BY notification_id",
}
SCHEMAS = portable.SCHEMAS


def rows_slot(types: list[str]) -> str:
    """An insert's rows as column arrays, in one statement: executemany costs a message per row,
    and psycopg parses a long `VALUES` list at every call."""
    return f"SELECT * FROM unnest({', '.join(f'%b::{t}' for t in types)})"
