"""What the persisted projections need of a SQL session (infrastructure/view_sql.py gives it, on
SQLite and PostgreSQL): statements run by name (their text is the backend's, in
infrastructure/sql/), bulk upserts, the views' tables created, one transaction at a time holding
the views' tracking rows, reads outside any write lock."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class ViewSql(Protocol):
    postgres: bool
    missing_table: type[Exception]  # what a query on a table not created yet raises
    schemas_made: set[str]  # the views whose tables this session created (or found), committed

    def execute(self, name: str, params: Sequence[Any] = (), table: str = "") -> list[tuple]: ...

    def insert(self, name: str, rows: list[Sequence[Any]], table: str = "") -> None: ...

    def select_in(self, name: str, keys: Sequence[Any], table: str = "", chunk: int = 900) -> list[tuple]: ...

    def create_schema(self, view: str) -> None: ...

    def transaction(self, lock: str | Sequence[str] | None = None,
                    schema: bool = False) -> AbstractContextManager[Any]: ...

    def reading(self) -> AbstractContextManager[Any]: ...

    def log_head(self) -> int: ...

    def close(self) -> None: ...
