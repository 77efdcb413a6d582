"""The store's event table opened directly, behind the engine's back: what the probe and the
tamper tests edit to check that `billing verify` finds it."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg


@contextlib.contextmanager
def event_table(url: str) -> Iterator[tuple[Any, str, str]]:
    """(connection, table name, placeholder) of the store at `url`; committed on leaving."""
    if url.startswith("postgresql"):
        with psycopg.connect(url) as conn:
            yield conn, "billing_events", "%s"
        return
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        yield conn, "stored_events", "?"
        conn.commit()
    finally:
        conn.close()
