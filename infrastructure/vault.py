"""Personal data at rest: sealed with one key per client, erased by erasing that key.

L'Étincelle du Savoir CGV art. 8.5 and 12: a client's URSSAF registration data (birth name,
usage name, birth date and place, postal address, email, IBAN) is stored encrypted and kept
only while needed. The events hold only the tokens `seal()` returns; the keys live in their
own table, ``billing_client_keys``, in the same database as the events:

- ``seal(client_id, data)`` encrypts the JSON of ``data`` with AES-256-GCM under the client's
  256-bit data key (made on first use), a random 12-byte nonce and the client id as associated
  data, and returns ``"v1:" + base64(nonce + ciphertext)``.
- ``open(client_id, token)`` gives the data back, or None once the key is gone.
- ``keyed_digest(client_id, data)`` is an HMAC-SHA256 of the canonical JSON under a key derived
  from the client's data key: it spots a repeated fact without keeping a plain hash of the data
  (a plain hash of a birth date or an IBAN can be brute-forced).
- ``shred(client_id)`` deletes the key (crypto-shredding): every token of that client becomes
  unreadable, its digests are orphaned, and the invoices, which never contain this data, stay.

Master key (optional). When the environment variable ``BILLING_MASTER_KEY`` holds the base64 of
32 random bytes (e.g. ``python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"``)
when the Vault is built, new data keys are stored wrapped: AES-256-GCM under the master key,
client id as associated data, stored as nonce + ciphertext (60 bytes) instead of the raw 32-byte
key. A copy of the database is then useless without the master key, which should live outside
it (secret manager, service environment). Keys stored raw before the master key was set are
still read as they are (they are not re-wrapped). A wrapped key without ``BILLING_MASTER_KEY``,
or with another master key, is refused with a VaultError: nothing is opened.

Limits of erasure: the deleted key row can survive in database pages until they are reused
(SQLite connections here use ``secure_delete``; PostgreSQL needs its VACUUM), in the WAL and in
backups. The master key narrows that exposure: a backup's keys are wrapped.

Nothing here logs, and no exception message carries personal data or key material: messages
name the client id and the operation only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import BillingError
from infrastructure.secrets import key_from_environment
from infrastructure.sql import postgres, sqlite
from infrastructure.store import environment, redacted

MASTER_KEY_ENV = "BILLING_MASTER_KEY"
NEW_MASTER_KEY_ENV = "BILLING_NEW_MASTER_KEY"  # the one `billing personal-data wrap-keys` rotates to
TOKEN_PREFIX = "v1:"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES

_WRAP_CONTEXT = b"billing_client_keys:"
_DIGEST_CONTEXT = b"billing keyed digest v1"

T = TypeVar("T")


class VaultError(BillingError):
    """The key table cannot be reached or a stored key cannot be used."""


class TokenError(VaultError):
    """A token that does not open under the client's key: tampered, truncated or another client's."""

if TYPE_CHECKING:
    import psycopg


class Vault:
    """Per-client data keys in ``billing_client_keys``; see the module docstring."""

    def __init__(self, url: str) -> None:
        env = environment(url)
        self._master = _master_key_from_environment()
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._pg: psycopg.Connection | None = None
        self._driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        self._statements: dict[str, str] = sqlite.STATEMENTS
        try:
            if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
                import psycopg  # here: on SQLite the PostgreSQL driver is never loaded

                self._driver_errors = (psycopg.Error, sqlite3.Error)
                self._statements = postgres.STATEMENTS
                self._pg = _connect_postgres(env)
                self._create_postgres_table()
            else:
                self._statements = sqlite.STATEMENTS
                self._sqlite = _connect_sqlite(env)
                self._execute("vault.create")
        except Exception as exc:
            self.close()
            if isinstance(exc, BillingError):
                raise
            raise VaultError(
                f"cannot open the key table at {redacted(url)}: {type(exc).__name__}: {exc}"
            ) from None

    # --- public API ------------------------------------------------------------------------

    def seal(self, client_id: str, data: Mapping[str, str | None]) -> str:
        """Encrypts ``data`` for ``client_id``; the printable token is safe to store in events."""
        plaintext = _canonical(_checked_record(data)).encode("utf-8")
        key = self._key_for(client_id, create=True)
        assert key is not None
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext, client_id.encode("utf-8"))
        return TOKEN_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, client_id: str, token: str) -> dict[str, str | None] | None:
        """The data sealed in ``token``; None when the client's key was shredded (or never made).

        Raises TokenError when the token is malformed, altered or was sealed for another client.
        """
        raw = _decode_token(client_id, token)
        key = self._key_for(client_id, create=False)
        if key is None:
            return None
        try:
            plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], client_id.encode("utf-8"))
        except InvalidTag:
            raise TokenError(
                f"token for client {client_id!r} does not open: it was altered or sealed for another client"
            ) from None
        record = json.loads(plaintext.decode("utf-8"))
        if not isinstance(record, dict):
            raise TokenError(f"token for client {client_id!r} does not hold a record")
        return record

    def keyed_digest(self, client_id: str, data: Mapping[str, Any]) -> str:
        """HMAC-SHA256 (hex) of the canonical JSON of ``data`` under the client's key.

        Stable for one client while its key lives; differs across clients and after a shred.
        """
        if not isinstance(data, Mapping):
            raise VaultError("keyed_digest needs a mapping of field names to values")
        try:
            canonical = _canonical(dict(data))
        except (TypeError, ValueError):
            raise VaultError("keyed_digest needs JSON values (strings, numbers, booleans, null)") from None
        key = self._key_for(client_id, create=True)
        assert key is not None
        mac_key = hmac.new(key, _DIGEST_CONTEXT, hashlib.sha256).digest()
        return hmac.new(mac_key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()

    def shred(self, client_id: str) -> bool:
        """Deletes the client's key; True if there was one. Its tokens can never be opened again."""
        _check_client_id(client_id)
        return self._execute("vault.shred", (client_id,)).rowcount > 0

    # --- guarding the keys (README, "Keys at rest") -----------------------------------------

    def unguarded_keys(self) -> int:
        """How many stored keys a copy of the database opens alone: every key when no master key
        is set, else those stored raw before it was."""
        stored = self._all_keys()
        if self._master is None:
            return len(stored)
        return sum(1 for _, key in stored if len(key) == KEY_BYTES)

    def rewrap(self, new_master: bytes | None = None) -> int:
        """Stores every key wrapped under `new_master` (default: the master key): the raw ones and
        those the master key unwraps, in one transaction; how many. Writers stay stopped meanwhile:
        a key they made under the old master key would not open under the new one."""
        target = new_master or self._master
        if target is None:
            raise VaultError(f"set {MASTER_KEY_ENV} (and {NEW_MASTER_KEY_ENV} to change it) to wrap the keys")
        rows = [(_wrapped(target, cid, self._usable_form(cid, key)), cid) for cid, key in self._all_keys()]
        connection = self._connection()
        self._run(lambda: _update_all(connection, self._statements, rows))
        return len(rows)

    def _all_keys(self) -> list[tuple[str, bytes]]:
        rows = self._execute("vault.all_keys").fetchall()
        return [(row[0], bytes(row[1])) for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._pg is not None:
                self._pg.close()
                self._pg = None
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- keys ------------------------------------------------------------------------------

    def _key_for(self, client_id: str, *, create: bool) -> bytes | None:
        _check_client_id(client_id)
        stored = self._read_key(client_id)
        # A concurrent creator may win the insert, and a concurrent shred may delete the key
        # between our insert and our read: try again a few times, never overwrite a key.
        attempts = 3 if create else 0
        while stored is None and attempts > 0:
            attempts -= 1
            self._insert_key(client_id, self._stored_form(client_id, os.urandom(KEY_BYTES)))
            stored = self._read_key(client_id)
        if stored is None:
            if create:
                raise VaultError(f"cannot create the key of client {client_id!r}: it keeps disappearing")
            return None
        return self._usable_form(client_id, stored)

    def _stored_form(self, client_id: str, key: bytes) -> bytes:
        return key if self._master is None else _wrapped(self._master, client_id, key)

    def _usable_form(self, client_id: str, stored: bytes) -> bytes:
        if len(stored) == KEY_BYTES:
            return stored
        if len(stored) != WRAPPED_KEY_BYTES:
            raise VaultError(f"the stored key of client {client_id!r} is malformed")
        if self._master is None:
            raise VaultError(f"the key of client {client_id!r} is wrapped: set {MASTER_KEY_ENV} to open it")
        try:
            return AESGCM(self._master).decrypt(
                stored[:NONCE_BYTES], stored[NONCE_BYTES:], _WRAP_CONTEXT + client_id.encode("utf-8"))
        except InvalidTag:
            raise VaultError(
                f"the key of client {client_id!r} does not unwrap: {MASTER_KEY_ENV} is not the master "
                f"key it was stored with"
            ) from None

    # --- storage ---------------------------------------------------------------------------

    def _read_key(self, client_id: str) -> bytes | None:
        row = self._execute("vault.key_of", (client_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def _insert_key(self, client_id: str, stored: bytes) -> None:
        self._execute("vault.insert", (client_id, stored, datetime.now(timezone.utc).isoformat()))

    def _create_postgres_table(self) -> None:
        assert self._pg is not None
        with self._pg.transaction():
            self._pg.execute(self._statements["vault.lock"])
            self._pg.execute(self._statements["vault.create"])

    def _execute(self, name: str, params: tuple = ()) -> Any:
        """The vault's statement of that name (infrastructure/sql/), on the open connection."""
        connection = self._connection()
        return self._run(lambda: connection.execute(self._statements[name], params))

    def _connection(self) -> Any:
        connection = self._pg if self._pg is not None else self._sqlite
        if connection is None:
            raise VaultError("the vault is closed")
        return connection

    def _run(self, operation: Callable[[], T]) -> T:
        """One statement at a time on the shared connection; driver errors become VaultError."""
        with self._lock:
            if self._pg is None and self._sqlite is None:
                raise VaultError("the vault is closed")
            try:
                return operation()
            except self._driver_errors as exc:
                # Driver messages can quote parameters in some cases: give the class only.
                raise VaultError(f"key table error ({type(exc).__name__}); nothing was changed") from None


# --- helpers ------------------------------------------------------------------------------

def _wrapped(master: bytes, client_id: str, key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, key, _WRAP_CONTEXT + client_id.encode("utf-8"))


def _update_all(connection: Any, statements: dict[str, str], rows: list[tuple[bytes, str]]) -> None:
    """Every row in one transaction (both connections are in autocommit mode otherwise)."""
    if not isinstance(connection, sqlite3.Connection):
        with connection.transaction():
            for row in rows:
                connection.execute(statements["vault.rekey"], row)
        return
    connection.execute(statements["transaction.begin"])
    try:
        for row in rows:
            connection.execute(statements["vault.rekey"], row)
    except BaseException:
        connection.execute(statements["transaction.rollback"])
        raise
    connection.execute(statements["transaction.commit"])


def new_master_key_from_environment() -> bytes | None:
    return _key_from(NEW_MASTER_KEY_ENV)


def refuse_unguarded_keys(vault: Vault, what: str) -> None:
    """`billing serve` and the scheduler do not run over keys a copy of the database would open."""
    count = vault.unguarded_keys()
    if count:
        raise VaultError(
            f"{what} refuses to start: {count} client key(s) of personal data are stored where a copy of "
            f"the database opens them; set {MASTER_KEY_ENV} and run `billing personal-data wrap-keys` "
            "(README, 'Keys at rest'), or pass --insecure-dev on a development machine"
        )


def _master_key_from_environment() -> bytes | None:
    return _key_from(MASTER_KEY_ENV)


def _key_from(variable: str) -> bytes | None:
    return key_from_environment(variable, VaultError)


def _connect_postgres(env: dict[str, str]) -> psycopg.Connection:
    import psycopg

    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
    )


def _connect_sqlite(env: dict[str, str]) -> sqlite3.Connection:
    conn = sqlite3.connect(
        env["SQLITE_DBNAME"], timeout=float(env["SQLITE_LOCK_TIMEOUT"]),
        isolation_level=None, check_same_thread=False,
    )
    conn.execute(sqlite.STATEMENTS["vault.secure_delete"])
    return conn


def _check_client_id(client_id: object) -> None:
    if not isinstance(client_id, str) or not client_id:
        raise VaultError("client_id must be a non-empty string")


def _checked_record(data: object) -> dict[str, str | None]:
    if not isinstance(data, Mapping):
        raise VaultError("seal needs a mapping of field names to strings")
    for name, value in data.items():
        if not isinstance(name, str):
            raise VaultError("seal needs string field names")
        if value is not None and not isinstance(value, str):
            raise VaultError(f"seal: field {name!r} must be a string or null")
    return dict(data)


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _decode_token(client_id: str, token: object) -> bytes:
    _check_client_id(client_id)
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise TokenError(f"token for client {client_id!r} is not a {TOKEN_PREFIX} vault token")
    try:
        raw = base64.b64decode(token.removeprefix(TOKEN_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise TokenError(f"token for client {client_id!r} is not valid base64: it was altered") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise TokenError(f"token for client {client_id!r} is truncated")
    return raw
