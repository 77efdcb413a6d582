"""Locks that one process of the engine at a time holds, on the store's own database: a
session-level advisory lock on PostgreSQL (a connection of its own), an exclusive `flock` on a
side file on SQLite. The scheduler's leadership and the URSSAF exchanges use them."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import psycopg

from infrastructure.sql.postgres import STATEMENTS
from infrastructure.store import database_url, environment


class LockUnavailable(Exception):
    """The lock could not even be tried (database or file unreachable)."""


class LeaderLock(Protocol):
    name: str

    def try_acquire(self) -> bool:
        """Take the lock if free; False if another process holds it. LockUnavailable if it
        cannot be tried."""

    def held(self) -> bool:
        """Whether the lock taken is still ours."""

    def release(self) -> None:
        """Give the lock back (also when it was never taken)."""


class PostgresLeaderLock:
    """A session-level advisory lock, held by a connection kept open for that alone."""

    def __init__(self, env: dict[str, str], key: int, application_name: str = "billing"):
        self.env = env
        self.key = key
        self.application_name = application_name
        self.name = f"pg_advisory_lock({key}) on database {env['POSTGRES_DBNAME']}"
        self._conn: psycopg.Connection | None = None

    def _connect(self) -> psycopg.Connection:
        env = self.env
        return psycopg.connect(
            dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
            connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]), application_name=self.application_name,
            # A vanished server or network is noticed on an idle connection too.
            keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
        )

    def try_acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            row = self._conn.execute(STATEMENTS["lock.try"], (self.key,)).fetchone()
        except psycopg.Error as exc:
            self._drop()
            raise LockUnavailable(str(exc).strip()) from None
        return bool(row and row[0])

    def held(self) -> bool:
        # A session-level advisory lock lasts as long as its session: a live connection holds it.
        if self._conn is None or self._conn.closed:
            return False
        try:
            self._conn.execute(STATEMENTS["store.ping"])
        except psycopg.Error:
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None and not self._conn.closed:
            try:
                self._conn.execute(STATEMENTS["lock.release"], (self.key,))
            except psycopg.Error:
                pass  # closing the session below releases it anyway
        self._drop()

    def backend_pid(self) -> int | None:
        return None if self._conn is None or self._conn.closed else self._conn.info.backend_pid

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None


class FileLeaderLock:
    """An exclusive `flock` on a file next to the SQLite database (released when the process dies)."""

    def __init__(self, path: Path):
        self.path = path
        self.name = str(path)
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:
            raise LockUnavailable(f"{self.path}: {exc.strerror}") from None
        # Who holds it, for whoever looks at the file; the lock itself is the flock.
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def lock_for(db: str | None, key: int, suffix: str, application_name: str) -> LeaderLock:
    """An advisory lock `key` on PostgreSQL; on SQLite a flock on the database file + `suffix`."""
    env = environment(database_url(db))
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return PostgresLeaderLock(env, key, application_name)
    return FileLeaderLock(Path(env["SQLITE_DBNAME"] + suffix))


@contextmanager
def holding(lock: LeaderLock) -> Iterator[bool]:
    """True inside if this process took the lock (released at the end), False if another holds it
    or it cannot be tried."""
    try:
        mine = lock.try_acquire()
    except LockUnavailable:
        mine = False
    try:
        yield mine
    finally:
        if mine:
            lock.release()


class PartLocks(Protocol):
    """One lock per partition of a one-shot advance (infrastructure/advance_run.py), held while
    it is drafted; a process that dies lets its partitions go."""

    def try_take(self, part: int) -> bool:
        """True if this process now holds the partition's lock."""

    def give_back(self, part: int) -> None: ...

    def close(self) -> None: ...


class PostgresPartLocks(PostgresLeaderLock):
    """Session-level advisory locks (two keys: the space of the partitions, the partition)."""

    def __init__(self, env: dict[str, str]):
        super().__init__(env, 0, "billing advance")

    def try_take(self, part: int) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        row = self._conn.execute(STATEMENTS["lock.try_part"], (part,)).fetchone()
        return bool(row and row[0])

    def give_back(self, part: int) -> None:
        self._conn.execute(STATEMENTS["lock.release_part"], (part,))

    def close(self) -> None:
        self._drop()


class FilePartLocks:
    """A byte of one side file per partition, locked with `lockf` (released when the process dies)."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def try_take(self, part: int) -> bool:
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, part)
        except OSError:  # EAGAIN or EACCES: another process holds it
            return False
        return True

    def give_back(self, part: int) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, part)

    def close(self) -> None:
        os.close(self.fd)


def part_locks_for(db: str | None) -> PartLocks:
    env = environment(database_url(db))
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return PostgresPartLocks(env)
    return FilePartLocks(Path(env["SQLITE_DBNAME"] + ".advance-parts.lock"))
