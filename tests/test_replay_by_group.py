"""`billing replay` works a group of clients at a time: on random histories of both providers,
replayed under the recorded versions and under an auditor's derived one, the report made one
client at a time, and one client's, equal the whole fold's, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hypothesis import given

from application.client_folds import client_ledger, documents_horizon, ledgers_by_group
from application.ledger import read_ledger
from application.replay import merged, replay, replay_by_group
from infrastructure.terms_files import load_version
from infrastructure.view_sql import SqlSession
from tests.billing_cli import billing_json, jsonl
from tests.services import Engine, engine_on
from tests.test_any_arrival_order import END, SETTINGS, btb_histories, ets_histories
from tests.test_audit import DERIVED
from tests.test_btb_scenario import fact, history

SHORTER_NOTICE = """
derived_from = "CGV-2025-09-02"
reference = "AUDIT-ETS-NOTICE-24"
title = "Audit: cancellations late under 24 hours' notice"

[cancellation]
notice_hours = 24
"""


def versions(tmp_path: Path) -> list:
    (tmp_path / "btb.toml").write_text(DERIVED, encoding="utf-8")
    (tmp_path / "ets.toml").write_text(SHORTER_NOTICE, encoding="utf-8")
    catalog, btb = load_version(str(tmp_path / "btb.toml"))
    ets_catalog, ets = load_version(str(tmp_path / "ets.toml"))
    return [(catalog, btb), (ets_catalog, ets), (catalog, catalog.get("CGPS20260208-2")),
            (catalog, catalog.get("CGV-2025-09-02"))]


@SETTINGS
@given(btb=btb_histories(), ets=ets_histories())
def test_replay_by_groups_equals_the_whole_folds(backend: str, tmp_path: Path, btb, ets) -> None:
    with engine_on(backend, tmp_path) as engine:
        engine.ingest(*sorted(btb + ets, key=lambda f: datetime.fromisoformat(f["at"])))
        engine.advance(END)
        whole = read_ledger(engine.app)
        sql = SqlSession(engine.url)
        try:
            horizon = documents_horizon(engine.app, sql)
            for catalog, version in versions(tmp_path):
                expected = replay(whole, catalog, version).as_dict()
                groups = ledgers_by_group(engine.app, sql, group=1)
                assert replay_by_group(groups, catalog, version, horizon).as_dict() == expected
                shares = [replay_by_group(ledgers_by_group(engine.app, sql, group=1, share=(k, 2)), catalog, version,
                                          horizon) for k in (1, 0)]  # two workers' shares, merged in any order
                assert merged(version.reference, shares).as_dict() == expected
                for c in whole.clients():
                    one = [client_ledger(engine.app, sql, [c.client_id], facts=False)]
                    assert replay_by_group(one, catalog, version, horizon, client_id=c.client_id).as_dict() == \
                        replay(whole, catalog, version, client_id=c.client_id).as_dict()
        finally:
            sql.close()


def replayed_by_the_command(db_url: str, tmp_path: Path) -> tuple[str, dict]:
    """BTBCONNECT's scenario issued up to September, replayed by `billing replay` under an
    auditor's derived version: (that version's file, the report)."""
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    billing_json("advance", "--to", "2026-09-30", db=db_url)
    (tmp_path / "derived.toml").write_text(DERIVED, encoding="utf-8")
    return str(tmp_path / "derived.toml"), billing_json("replay", "--terms", str(tmp_path / "derived.toml"), db=db_url)


def test_the_command_replays_as_the_whole_fold_does(db_url: str, tmp_path: Path) -> None:
    derived, grouped = replayed_by_the_command(db_url, tmp_path)
    folded = billing_json("replay", "--terms", derived, "--known-at", "2100-01-01T00:00:00+00:00", db=db_url)
    assert grouped == folded and grouped["totals"]["difference"] != "0.00"


def test_a_late_subscriber_is_replayed_up_to_the_last_document_of_all(db_url: str) -> None:
    """C-DELTA's subscription, started on 1 August and recorded after the run up to 30
    September, has no document yet: its replay, one client at a time, bills the monthly fees due
    up to the last due date of all documents, as the whole fold's does, not up to a last document
    of its own (it has none)."""
    engine = Engine(db_url)
    sql = SqlSession(db_url)
    try:
        engine.ingest(*history())
        engine.advance(date(2026, 9, 30))
        engine.ingest(fact("c-d", "client.registered", "2026-08-01T09:00:00+02:00", client_id="C-DELTA",
                           provider="btbconnect", name="Delta Courtage"),
                      fact("sub-d", "subscription.started", "2026-08-01T09:30:00+02:00", subscription_id="S-D",
                           client_id="C-DELTA", plan="START", monthly_fee="490.00"))
        version = engine.catalog.get("CGPS20260208-2")
        grouped = replay_by_group(ledgers_by_group(engine.app, sql, group=1), engine.catalog, version,
                                  documents_horizon(engine.app, sql)).as_dict()
        assert grouped == replay(read_ledger(engine.app), engine.catalog, version).as_dict()
        [delta] = [c for c in grouped["clients"] if c["client_id"] == "C-DELTA"]
        assert delta["issued"] == "0.00" and delta["replayed"] != "0.00"
    finally:
        sql.close()
        engine.close()


def test_two_processes_replay_as_one(db_url: str, tmp_path: Path) -> None:
    from infrastructure.cli.wiring import services
    from infrastructure.parallel_replay import replay_shared

    derived, alone = replayed_by_the_command(db_url, tmp_path)
    with services(db_url) as s:
        horizon = s.documents_horizon()
    shared = replay_shared(db_url, derived, horizon, (None, None, None), 2)
    assert shared.as_dict() == alone and alone["totals"]["difference"] != "0.00"
