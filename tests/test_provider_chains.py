"""The log's chain per provider (issue 12, point 5), on both backends: each advance seals a chain
of each provider's events (and a shared one), verify recomputes them in its one pass, an edit is
named in the chain of the provider whose event it was, and a provider's head kept outside
catches a rewrite of its events that also dropped the seals. The owners the seal finds from its
ledger (application/log_owners.py) are those verify finds from the log."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from application.advance import AdvanceService
from application.log_chain import check_log, seal_log
from domain.base import Stamp
from domain.log_seal import START, LogSeal
from infrastructure.urssaf_simulator import UrssafSimulator
from tests.billing_cli import billing_json, jsonl, run_billing
from tests.services import RECORDED_AT, Engine
from tests.test_btb_scenario import history as btb_history
from tests.test_etincelle_scenario import history as ets_history
from tests.test_tamper import delete_topic, edit, kinds, verify

RUNS = ("2026-03-31", "2026-06-30", "2026-10-31")


def halves(facts: list[dict]) -> tuple[list[dict], list[dict]]:
    return facts[:len(facts) // 2], facts[len(facts) // 2:]


@pytest.fixture
def both(db_url: str) -> str:
    """Both providers' scenarios, each in two halves, sealed by three advances in between."""
    (btb1, btb2), (ets1, ets2) = halves(btb_history()), halves(ets_history())
    for facts, to in zip(([*ets1, *btb1], ets2, btb2), RUNS, strict=True):
        billing_json("ingest", "-", db=db_url, stdin=jsonl(facts), check=False)
        run_billing("advance", "--to", to, db=db_url)
    return db_url


def test_each_provider_has_a_chain_of_its_own(both: str) -> None:
    status, report = verify(both, "--anchor")
    assert (status, report["findings"]) == (0, [])
    assert set(report["anchors"]) == {"btbconnect", "etincelle", "shared"}
    counts = {name: int(text.split(":")[2]) for name, text in report["anchors"].items()}
    assert sum(counts.values()) == int(report["anchor"].split(":")[1])  # every event in exactly one chain
    for text in report["anchors"].values():
        assert verify(both, "--expect", text) == (0, {"findings": []})


def test_an_edit_is_named_in_its_providers_chain(both: str) -> None:
    edit(both, "SessionBooked", b'"home"', b'"remote"')
    status, report = verify(both)
    chains = {f["number"].rsplit(" ", 1)[-1] for f in report["findings"] if f["number"].startswith("seal")}
    assert status == 1 and "(etincelle)" in chains and "(btbconnect)" not in chains


def test_a_providers_head_kept_outside_catches_a_rewrite_of_its_events(both: str) -> None:
    anchors = verify(both, "--anchor")[1]["anchors"]
    edit(both, "ClientRegistered", b"Agence Beta", b"Agence Bet\xc3\xa0")
    delete_topic(both, "LogSealed")
    delete_topic(both, "SealOpened")
    status, report = verify(both, "--expect", anchors["btbconnect"], "--expect", anchors["etincelle"])
    assert status == 1 and kinds(report) == {"unanchored"}
    assert [f["number"].endswith("(btbconnect)") for f in report["findings"]] == [True]


def test_a_kept_service_seals_the_owners_verify_finds(engine: Engine) -> None:
    advance = AdvanceService(engine.ingest_service, lambda: RECORDED_AT, UrssafSimulator)
    (btb1, btb2), (ets1, ets2) = halves(btb_history()), halves(ets_history())
    for facts, to in zip(([*ets1, *btb1], ets2, btb2), RUNS, strict=True):
        engine.ingest(*facts)  # later halves add events to aggregates the kept ledger read before
        advance.advance(date.fromisoformat(to))
    findings, anchors = check_log(engine.app, None)
    assert findings == [] and {a.chain for a in anchors} == {None, "btbconnect", "etincelle", "shared"}


def test_a_seal_from_before_chains_is_followed_by_a_whole_pass(engine: Engine) -> None:
    engine.ingest(*btb_history())
    old = LogSeal.open(Stamp(datetime(2026, 11, 1, tzinfo=timezone.utc), RECORDED_AT))
    old.seal(START._replace(position=3, count=3), False, {}, Stamp(RECORDED_AT, RECORDED_AT))  # no chains
    engine.app.save(old)
    seal_log(engine.app, None, RECORDED_AT, RECORDED_AT)
    findings, _ = check_log(engine.app, None)
    assert [f.number for f in findings] == ["seal at 3"]  # the made-up old head; the new seal's chains hold
