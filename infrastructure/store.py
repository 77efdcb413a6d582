"""Where the events live: an SQLite file by default, PostgreSQL for `postgresql://` URLs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from domain.errors import BillingError
from infrastructure.sql import postgres

if TYPE_CHECKING:
    from application.app import BillingApp

DEFAULT_URL = "billing.db"


class StoreError(BillingError):
    """The database URL is malformed or the store cannot be reached."""


def database_url(cli_value: str | None) -> str:
    return cli_value or os.environ.get("BILLING_DATABASE_URL") or DEFAULT_URL


def environment(url: str) -> dict[str, str]:
    if url.startswith(("postgresql://", "postgres://")):
        return postgres_env(url)
    return sqlite_env(url)


def sqlite_env(url: str) -> dict[str, str]:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` (SQLAlchemy's form) or a plain path."""
    path = url
    for prefix in ("sqlite:///", "sqlite:"):
        if url.startswith(prefix):
            path = url.removeprefix(prefix)
            break
    if not path:
        raise StoreError(f"no file in SQLite URL {url!r}")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.sqlite_recorder:BillingSQLiteRecorder",
        "SQLITE_DBNAME": str(Path(path).expanduser().resolve()),
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def postgres_env(url: str) -> dict[str, str]:
    parts = urlparse(url)
    dbname = parts.path.lstrip("/")
    if not dbname:
        raise StoreError(f"no database name in {url!r}: use postgresql://user@host:port/dbname")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.pg_recorder:BillingPostgresRecorder",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parts.hostname or "localhost",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "30",
        "POSTGRES_POOL_SIZE": os.environ.get("BILLING_POSTGRES_POOL_SIZE", "2"),
        "POSTGRES_MAX_OVERFLOW": os.environ.get("BILLING_POSTGRES_MAX_OVERFLOW", "10"),
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }


def open_app(url: str) -> BillingApp:
    from application.app import BillingApp  # here: a read from the kept rows never loads the engine

    env = environment(url)
    try:
        if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
            with schema_lock(env):
                return BillingApp(env=env)
        return BillingApp(env=env)
    except BillingError:
        raise
    except Exception as exc:  # the driver's own errors: report them, no traceback
        raise StoreError(f"cannot open the store at {redacted(url)}: {exc}") from None


@contextmanager
def schema_lock(env: dict[str, str]) -> Iterator[None]:
    """Processes starting at once on a new database create its tables one at a time."""
    import psycopg  # here: a read on SQLite never loads the PostgreSQL driver

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
    ) as conn:
        conn.execute(postgres.STATEMENTS["store.schema_lock"])
        yield


def redacted(url: str) -> str:
    parts = urlparse(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
