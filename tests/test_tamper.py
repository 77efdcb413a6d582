"""Tamper evidence (issue 12, point 5), through the real `billing verify`, on both backends: the
store is edited behind the engine's back (rows of the event table changed or deleted), and verify
names each alteration by kind; an anchor kept outside catches a rewrite of the seals too, and a
keyed chain cannot be recomputed without its key."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from tests.billing_cli import billing_json, jsonl, run_billing
from tests.test_btb_scenario import history

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from probe_lib.event_table import event_table  # noqa: E402

KEY = base64.b64encode(bytes(range(32))).decode()


table = event_table  # the event table opened behind the engine's back (scripts/probe_lib)


def rows(url: str, topic: str) -> list[tuple]:
    with table(url) as (conn, name, p):
        return [(r[0], r[1], bytes(r[2])) for r in conn.execute(
            f"SELECT originator_id, originator_version, state FROM {name} WHERE topic LIKE {p} ORDER BY 1, 2",
            (f"%{topic}",)).fetchall()]


def edit(url: str, topic: str, old: bytes, new: bytes) -> None:
    oid, version, state = next(r for r in rows(url, topic) if old in r[2])
    with table(url) as (conn, name, p):
        conn.execute(f"UPDATE {name} SET state = {p} WHERE originator_id = {p} AND originator_version = {p}",
                     (state.replace(old, new, 1), oid, version))


def delete(url: str, topic: str, holding: bytes = b"", *, version: int | None = None) -> None:
    oid, v, _ = next(r for r in rows(url, topic) if holding in r[2] and version in (None, r[1]))
    with table(url) as (conn, name, p):
        conn.execute(f"DELETE FROM {name} WHERE originator_id = {p} AND originator_version = {p}", (oid, v))


def delete_topic(url: str, topic: str) -> None:
    with table(url) as (conn, name, p):
        conn.execute(f"DELETE FROM {name} WHERE topic LIKE {p}", (f"%{topic}",))


def verify(url: str, *options: str, key: str | None = None) -> tuple[int, dict]:
    env = {**os.environ, **({"BILLING_LOG_KEY": key} if key else {})}
    if not key:
        env.pop("BILLING_LOG_KEY", None)
    import subprocess

    from tests.billing_cli import REPO, billing_command
    result = subprocess.run([*billing_command(), "verify", *options, "--format", "json", "--db", url],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def kinds(report: dict) -> set[str]:
    return {f["kind"] for f in report["findings"]}


@pytest.fixture
def sealed(db_url: str) -> str:
    """The BTBCONNECT scenario recorded, with a payment, issued up to October (the advance seals)."""
    facts = [*history(), {"key": "pay-t", "type": "payment.received", "at": "2026-06-05T10:00:00+02:00",
                          "client_id": "C-BETA", "amount": "390.00", "method": "transfer"}]
    billing_json("ingest", "-", db=db_url, stdin=jsonl(facts), check=False)
    run_billing("advance", "--to", "2026-10-31", db=db_url)
    return db_url


def test_an_untouched_store_verifies_and_gives_its_anchor(sealed: str) -> None:
    status, report = verify(sealed, "--anchor")
    assert status == 0 and report["findings"] == []
    position, count, head = report["anchor"].split(":")
    assert int(position) >= int(count) > 0 and len(head) == 64
    assert verify(sealed, "--expect", report["anchor"]) == (0, {"findings": []})


def test_a_deleted_last_document_is_missing(sealed: str) -> None:
    last = max(r["number"] for r in billing_json("invoices", "--provider", "btbconnect", db=sealed))
    delete(sealed, "DocumentIssued", last.encode())
    status, report = verify(sealed)
    assert status == 1 and {"kind": "missing", "number": last,
                            "detail": "the sequence numbered it; no such document is in the log"} in report["findings"]
    assert any(f["kind"] == "missing" and f["number"].startswith("seal at") for f in report["findings"])


@pytest.mark.parametrize("change", ["payment amount", "client name", "payment deleted"])
def test_a_changed_or_deleted_fact_is_found(sealed: str, change: str) -> None:
    if change == "payment amount":
        edit(sealed, "PaymentRecorded", b'"390.00"', b'"39.00"')
    elif change == "client name":
        edit(sealed, "ClientRegistered", b"Agence Beta", b"Agence Bet\xc3\xa0")
    else:
        delete(sealed, "PaymentRecorded")
    status, report = verify(sealed)
    assert status == 1 and kinds(report) == ({"missing"} if change == "payment deleted" else {"altered"})


def delete_a_middle_event(url: str) -> None:
    """Version 2 of an aggregate that has a version 3."""
    with table(url) as (conn, name, p):
        oid = conn.execute(f"SELECT originator_id FROM {name} GROUP BY originator_id "
                           "HAVING MAX(originator_version) >= 3 ORDER BY 1 LIMIT 1").fetchone()[0]
        conn.execute(f"DELETE FROM {name} WHERE originator_id = {p} AND originator_version = 2", (oid,))


def test_an_event_missing_in_the_middle_of_an_aggregate_is_named_not_a_crash(sealed: str) -> None:
    delete_a_middle_event(sealed)
    status, report = verify(sealed)
    assert status == 1 and "missing" in kinds(report)
    assert any("versions" in f["detail"] for f in report["findings"])


def test_a_rewrite_that_drops_the_seals_is_caught_by_an_anchor_kept_outside(sealed: str) -> None:
    anchor = verify(sealed, "--anchor")[1]["anchor"]
    edit(sealed, "PaymentRecorded", b'"390.00"', b'"39.00"')
    delete_topic(sealed, "LogSealed")
    delete_topic(sealed, "SealOpened")
    assert verify(sealed)[0] == 0  # with no seal left, the log alone cannot tell
    status, report = verify(sealed, "--expect", anchor)
    assert status == 1 and kinds(report) == {"unanchored"}


def test_a_keyed_chain_needs_its_key(db_url: str) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    env_run = {**os.environ, "BILLING_LOG_KEY": KEY}
    import subprocess

    from tests.billing_cli import REPO, billing_command
    subprocess.run([*billing_command(), "advance", "--to", "2026-10-31", "--db", db_url], env=env_run, cwd=REPO,
                   check=True, capture_output=True, timeout=300)
    assert verify(db_url, key=KEY) == (0, {"findings": []})
    status, report = verify(db_url)
    assert status == 1 and kinds(report) == {"unverifiable"}
    assert verify(db_url, key=base64.b64encode(bytes(32)).decode())[1]["findings"][0]["kind"] == "altered"


def test_a_changed_contract_fact_shows_as_drift_of_the_documents_it_made(sealed: str) -> None:
    # S-B's START fee 390.00 → 391.00: the chain breaks, and every fee invoice of S-B, recomputed
    # from the facts known when it was issued, no longer comes out as issued.
    edit(sealed, "SubscriptionStarted", b'"390.00"', b'"391.00"')
    status, report = verify(sealed)
    drifted = {f["number"] for f in report["findings"] if f["kind"] == "drift"}
    fees = {i["number"] for i in billing_json("invoices", "--client", "C-BETA", db=sealed)
            if any(line["code"] == "subscription_fee" for line in i["lines"])}
    assert status == 1 and "altered" in kinds(report)
    assert drifted and drifted <= fees


def test_two_processes_find_what_one_finds(sealed: str) -> None:
    from application.verify_service import verify_store
    from infrastructure.cli.wiring import services
    from infrastructure.parallel_verify import shared_drift

    edit(sealed, "SubscriptionStarted", b'"390.00"', b'"391.00"')  # drift of S-B's fee invoices, as above
    with services(sealed) as s:
        alone, _ = verify_store(s.app, s.catalog, None, [], s.client_events)
        shared, _ = verify_store(s.app, s.catalog, None, [], s.client_events, drift=shared_drift(sealed, 2))
    assert [f.kind for f in alone].count("drift") > 0
    assert shared == alone  # the same findings, in the same order
