"""What the persisted projections need of a SQL session (infrastructure/view_sql.py gives it, on
SQLite and PostgreSQL): statements with `%s` placeholders, bulk upserts, one transaction at a time
holding the views' tracking rows, reads outside any write lock."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class ViewSql(Protocol):
    postgres: bool
    missing_table: type[Exception]  # what a query on a table not created yet raises

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...

    def insert(self, head: str, rows: list[Sequence[Any]], tail: str = "") -> None: ...

    def select_in(self, sql: str, keys: Sequence[Any], chunk: int = 900) -> list[tuple]: ...

    def transaction(self, lock: str | Sequence[str] | None = None,
                    schema: bool = False) -> AbstractContextManager[Any]: ...

    def reading(self) -> AbstractContextManager[Any]: ...

    def close(self) -> None: ...
