"""The vault: per-client keys, sealed tokens, crypto-shredding, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import psycopg
import pytest

from infrastructure.store import environment
from infrastructure.vault import MASTER_KEY_ENV, TokenError, Vault, VaultError
from tests.billing_cli import billing_command

RECORD = {
    "birth_name": "Lefèvre",
    "usage_name": "Noëlle Dupré-Müller",
    "birth_date": "1984-07-14",
    "birth_place": "Saint-Étienne",
    "address": "12 rue de l'Église, 42000 Saint-Étienne",
    "email": "noelle.lefevre@example.fr",
    "iban": "FR7630006000011234567890189",
}


@pytest.fixture(autouse=True)
def no_master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)


@pytest.fixture
def vault(db_url: str) -> Iterator[Vault]:
    with Vault(db_url) as v:
        yield v


def stored_keys(url: str) -> dict[str, bytes]:
    """The key table as the database holds it, read without the vault."""
    env = environment(url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        with closing(sqlite3.connect(env["SQLITE_DBNAME"])) as conn:
            rows = conn.execute("SELECT client_id, data_key FROM billing_client_keys").fetchall()
    else:
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT client_id, data_key FROM billing_client_keys").fetchall()
    return {client_id: bytes(key) for client_id, key in rows}


def test_seal_open_round_trip_keeps_accents(vault: Vault) -> None:
    token = vault.seal("E1", RECORD)
    assert token.startswith("v1:")
    assert vault.open("E1", token) == RECORD


def test_round_trip_with_null_usage_name(vault: Vault) -> None:
    record = {**RECORD, "usage_name": None}
    assert vault.open("E1", vault.seal("E1", record)) == record


def test_token_holds_no_plaintext(vault: Vault) -> None:
    token = vault.seal("E1", RECORD)
    decoded = base64.b64decode(token.removeprefix("v1:"))
    for value in RECORD.values():
        assert value not in token
        assert value.encode("utf-8") not in decoded
    assert b"birth_name" not in decoded


def test_same_data_sealed_twice_gives_different_tokens(vault: Vault) -> None:
    first, second = vault.seal("E1", RECORD), vault.seal("E1", RECORD)
    assert first != second
    assert vault.open("E1", first) == vault.open("E1", second) == RECORD


def test_keyed_digest_is_stable_per_client_and_differs_across_clients(vault: Vault) -> None:
    digest = vault.keyed_digest("E1", RECORD)
    assert digest == vault.keyed_digest("E1", dict(reversed(list(RECORD.items()))))
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert vault.keyed_digest("E1", {**RECORD, "email": "other@example.fr"}) != digest
    assert vault.keyed_digest("E2", RECORD) != digest


def test_shred_makes_tokens_unreadable_and_changes_the_digest(vault: Vault, db_url: str) -> None:
    token = vault.seal("E1", RECORD)
    other = vault.seal("E2", RECORD)
    digest = vault.keyed_digest("E1", RECORD)

    assert vault.shred("E1") is True
    assert vault.open("E1", token) is None
    assert "E1" not in stored_keys(db_url)
    assert vault.shred("E1") is False
    assert vault.open("E2", other) == RECORD  # another client's data is untouched

    assert vault.keyed_digest("E1", RECORD) != digest  # a new key was made
    with pytest.raises(TokenError):  # the old token does not open under the new key either
        vault.open("E1", token)



def test_open_does_not_create_a_key(vault: Vault, db_url: str) -> None:
    token = vault.seal("E1", RECORD)
    assert vault.open("E9", token) is None  # E9 never had a key: nothing to open with
    assert set(stored_keys(db_url)) == {"E1"}


def test_token_of_one_client_does_not_open_as_another(vault: Vault) -> None:
    token_a = vault.seal("A", RECORD)
    vault.seal("B", {"birth_name": "Martin"})  # B has a key of its own
    with pytest.raises(TokenError, match="another client"):
        vault.open("B", token_a)
    assert vault.open("A", token_a) == RECORD


@pytest.mark.parametrize("tamper", ["flip_byte", "truncate", "bad_base64", "no_prefix", "empty"])
def test_tampered_token_is_refused_without_plaintext(vault: Vault, tamper: str) -> None:
    token = vault.seal("E1", RECORD)
    raw = bytearray(base64.b64decode(token.removeprefix("v1:")))
    if tamper == "flip_byte":
        raw[len(raw) // 2] ^= 0x01
        bad = "v1:" + base64.b64encode(bytes(raw)).decode()
    elif tamper == "truncate":
        bad = "v1:" + base64.b64encode(bytes(raw[:-1])).decode()
    elif tamper == "bad_base64":
        bad = token[:-4] + "!!!!"
    elif tamper == "no_prefix":
        bad = token.removeprefix("v1:")
    else:
        bad = ""
    with pytest.raises(TokenError) as caught:
        vault.open("E1", bad)
    message = str(caught.value)
    assert "E1" in message
    assert not any(value in message for value in RECORD.values())


def test_key_table_stores_no_plaintext(vault: Vault, db_url: str) -> None:
    vault.seal("E1", RECORD)
    vault.keyed_digest("E2", RECORD)
    env = environment(db_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        with closing(sqlite3.connect(env["SQLITE_DBNAME"])) as conn:
            rows = conn.execute("SELECT * FROM billing_client_keys").fetchall()
            dump = "\n".join(conn.iterdump())
        assert not any(value in dump for value in RECORD.values())
    else:
        with psycopg.connect(db_url) as conn:
            rows = conn.execute("SELECT * FROM billing_client_keys").fetchall()
    assert {row[0] for row in rows} == {"E1", "E2"}
    assert all(len(row) == 3 and len(bytes(row[1])) == 32 for row in rows)
    text = repr(rows)
    assert not any(value in text for value in RECORD.values())
    assert not any(value.encode("utf-8") in bytes(row[1]) for row in rows for value in RECORD.values())


def test_master_key_wraps_stored_keys(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    master = os.urandom(32)
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(master).decode())
    with Vault(db_url) as vault:
        token = vault.seal("E1", RECORD)
        digest = vault.keyed_digest("E1", RECORD)
        assert vault.open("E1", token) == RECORD
    stored = stored_keys(db_url)["E1"]
    assert len(stored) == 60  # nonce + wrapped 32-byte key + tag, not the raw key
    assert master not in stored

    with Vault(db_url) as again:  # the same master key opens it later
        assert again.open("E1", token) == RECORD
        assert again.keyed_digest("E1", RECORD) == digest

    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(os.urandom(32)).decode())
    with Vault(db_url) as wrong, pytest.raises(VaultError, match="does not unwrap"):
        wrong.open("E1", token)

    monkeypatch.delenv(MASTER_KEY_ENV)
    with Vault(db_url) as none, pytest.raises(VaultError, match=MASTER_KEY_ENV):
        none.open("E1", token)


def test_stored_key_without_master_key_is_the_raw_key_and_with_it_is_not(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with Vault(db_url) as vault:
        vault.seal("RAW", RECORD)
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(os.urandom(32)).decode())
    with Vault(db_url) as vault:
        token = vault.seal("WRAPPED", RECORD)
        assert vault.open("WRAPPED", token) == RECORD
    keys = stored_keys(db_url)
    assert len(keys["RAW"]) == 32 and len(keys["WRAPPED"]) == 60


@pytest.mark.parametrize("value", ["not base64 at all!", base64.b64encode(b"short").decode()])
def test_malformed_master_key_is_refused_without_echoing_it(
        db_url: str, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MASTER_KEY_ENV, value)
    with pytest.raises(VaultError) as caught:
        Vault(db_url)
    assert value not in str(caught.value)


def test_two_vaults_on_one_database_share_the_key(db_url: str) -> None:
    with Vault(db_url) as first, Vault(db_url) as second:
        token = first.seal("E1", RECORD)
        assert second.open("E1", token) == RECORD
        assert first.keyed_digest("E1", RECORD) == second.keyed_digest("E1", RECORD)
        assert second.shred("E1") is True
        assert first.open("E1", token) is None


def test_concurrent_first_use_makes_one_key(db_url: str) -> None:
    vaults = [Vault(db_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            tokens = list(pool.map(lambda v: v.seal("E1", RECORD), vaults * 3))
        assert len(stored_keys(db_url)) == 1
        assert all(vaults[0].open("E1", token) == RECORD for token in tokens)
    finally:
        for v in vaults:
            v.close()


def test_concurrent_table_creation(db_url: str) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        vaults = list(pool.map(lambda _: Vault(db_url), range(6)))
    try:
        token = vaults[0].seal("E1", RECORD)
        assert all(v.open("E1", token) == RECORD for v in vaults)
    finally:
        for v in vaults:
            v.close()


def test_seal_refuses_non_string_values_without_echoing_them(vault: Vault) -> None:
    with pytest.raises(VaultError) as caught:
        vault.seal("E1", {"birth_date": 19840714})
    assert "birth_date" in str(caught.value) and "19840714" not in str(caught.value)


def test_closed_vault_refuses(db_url: str) -> None:
    vault = Vault(db_url)
    vault.close()
    with pytest.raises(VaultError, match="closed"):
        vault.seal("E1", RECORD)


# --- keys at rest: serve and the scheduler refuse unwrapped keys; wrapping and rotating --------


def test_unwrapped_keys_are_counted_wrapped_and_rotated(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = os.urandom(32), os.urandom(32)
    with Vault(db_url) as raw:
        token = raw.seal("E1", {"iban": "FR76 3000 6000 0112 3456 7890 189"})
        assert raw.unguarded_keys() == 1  # no master key: a copy of the database opens it
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(old).decode())
    with Vault(db_url) as vault:
        vault.seal("E2", {"iban": "x"})
        assert vault.unguarded_keys() == 1  # E1's key, stored raw before the master key was set
        assert vault.rewrap() == 2 and vault.unguarded_keys() == 0
        assert vault.open("E1", token) == {"iban": "FR76 3000 6000 0112 3456 7890 189"}
        assert vault.rewrap(new) == 2  # rotation: every key now under the new master key
    with Vault(db_url) as stale, pytest.raises(VaultError, match="not the master key"):
        stale.open("E1", token)
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(new).decode())
    with Vault(db_url) as rotated:
        assert rotated.open("E1", token) == {"iban": "FR76 3000 6000 0112 3456 7890 189"}
        assert rotated.unguarded_keys() == 0


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["scheduler", "--every", "3600"]])
def test_serve_and_the_scheduler_refuse_unwrapped_keys_unless_on_a_development_machine(
    db_url: str, monkeypatch: pytest.MonkeyPatch, command: list[str],
) -> None:
    with Vault(db_url) as vault:
        vault.seal("E1", {"iban": "x"})
    env = {k: v for k, v in os.environ.items() if k != MASTER_KEY_ENV}
    refused = subprocess.run([*billing_command(), *command, "--db", db_url], capture_output=True, text=True,
                             env=env, timeout=120)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "1 client key(s) of personal data" in refused.stderr and "--insecure-dev" in refused.stderr
    started = subprocess.Popen([*billing_command(), *command, "--insecure-dev", "--db", db_url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            started.wait(timeout=4)  # it runs
    finally:
        started.terminate()
        started.wait(timeout=30)
    wrapped = {**env, MASTER_KEY_ENV: base64.b64encode(os.urandom(32)).decode()}
    made = subprocess.run([*billing_command(), "personal-data", "wrap-keys", "--db", db_url, "--format", "json"],
                          capture_output=True, text=True, env=wrapped, timeout=120)
    assert json.loads(made.stdout) == {"keys_wrapped": 1}
