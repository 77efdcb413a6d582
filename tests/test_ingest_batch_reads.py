"""Bulk ingest reads a chunk's fact records and aggregates in one query before judging it.

What it learned must never let a batch record a key twice, miss a key or an id recorded
before (by an earlier ingest or by another writer between the read and the save), nor refuse
what one-by-one ingestion records. Both backends.
"""

from __future__ import annotations


import pytest

from application.ingest import IngestService
from projections.store_reads import select_events
from application.unit_of_work import UnitOfWork
from domain.appointments import Appointment
from domain.clients import Client
from domain.records import FactRecord
from tests.services import Engine
from tests.test_ingest_rules import appointment, client, subscription

BATCHES = [2, 500]


@pytest.fixture
def one_by_one(monkeypatch) -> list[str]:
    """Keys judged fact by fact: a batch falls back to that only if its save failed."""
    keys: list[str] = []
    real = IngestService.ingest

    def ingest(self, raw: dict) -> str:
        keys.append(raw.get("key"))
        return real(self, raw)

    monkeypatch.setattr(IngestService, "ingest", ingest)
    return keys


def stored(engine: Engine, aggregate_id) -> int:
    return len(engine.app.recorder.select_events(aggregate_id))


def booked(appt_id: str, day: str) -> list[dict]:
    return appointment(appt_id, day, subscription_id="S1")


def history() -> list[dict]:
    return [client(), subscription(), *booked("A1", "2026-05-05"), *booked("A2", "2026-05-06")]


@pytest.mark.parametrize("batch", BATCHES)
def test_a_batch_finds_the_keys_recorded_before(engine: Engine, one_by_one: list[str], batch: int) -> None:
    first = history()
    assert engine.ingest(*first[:3], batch=batch).recorded == 3
    conflicting = {**first[1], "monthly_fee": "590.00"}
    report = engine.ingest(*first[:2], conflicting, *first[2:], batch=batch)
    assert (report.recorded, report.duplicates) == (len(first) - 3, 3)
    assert [r["key"] for r in report.refused] == ["start-S1"]
    assert "already used by another subscription.started fact" in report.refused[0]["error"]
    for f in first:
        assert stored(engine, FactRecord.id_for("btbconnect", f["key"])) == 1
    assert one_by_one == []  # the batch itself saw them: its save did not fail


@pytest.mark.parametrize("batch", BATCHES)
def test_a_batch_refuses_ids_recorded_before_under_other_keys(
    engine: Engine, one_by_one: list[str], batch: int,
) -> None:
    engine.ingest(*history(), batch=batch)
    again = [{**client(), "key": "reg-again"}, {**booked("A1", "2026-05-05")[0], "key": "A1-again"},
             *booked("A3", "2026-05-07")]
    report = engine.ingest(*again, batch=batch)
    assert report.recorded == 2
    assert {r["key"]: "already recorded" in r["error"] for r in report.refused} == {"reg-again": True, "A1-again": True}
    assert stored(engine, Client.id_for("C1")) == 2  # registered, subscription attached
    assert stored(engine, Appointment.id_for("A1")) == 2  # scheduled, honoured
    assert one_by_one == []


def test_a_batch_finds_keys_of_its_earlier_chunks(engine: Engine, one_by_one: list[str]) -> None:
    facts = history()
    report = engine.ingest(*facts, facts[0], {**facts[1], "plan": "GROW"}, batch=2)
    assert (report.recorded, report.duplicates) == (len(facts), 1)
    assert [r["key"] for r in report.refused] == ["start-S1"]
    assert one_by_one == []


def another_writer_between_read_and_save(monkeypatch, db_url: str, *facts: dict) -> None:
    """Once, right after a chunk was read, another process records these facts."""
    done = []
    real = UnitOfWork.prefetch

    def prefetch(self, ids) -> None:
        real(self, ids)
        if not done:
            done.append(True)
            other = Engine(db_url)
            try:
                assert other.ingest(*facts).recorded == len(facts)
            finally:
                other.close()

    monkeypatch.setattr(UnitOfWork, "prefetch", prefetch)


@pytest.mark.parametrize("batch", BATCHES)
def test_a_key_recorded_by_another_writer_after_the_read_is_not_recorded_twice(
    engine: Engine, db_url: str, monkeypatch, one_by_one: list[str], batch: int,
) -> None:
    facts = history()
    another_writer_between_read_and_save(monkeypatch, db_url, facts[0])
    report = engine.ingest(*facts, batch=batch)
    assert (report.recorded, report.duplicates, report.refused) == (len(facts) - 1, 1, [])
    assert stored(engine, FactRecord.id_for("btbconnect", facts[0]["key"])) == 1
    assert stored(engine, Client.id_for("C1")) == 2
    assert one_by_one[0] == "reg-C1"  # the chunk's save failed and it was redone fact by fact


@pytest.mark.parametrize("batch", BATCHES)
def test_an_id_created_by_another_writer_after_the_read_is_not_created_twice(
    engine: Engine, db_url: str, monkeypatch, batch: int,
) -> None:
    facts = history()
    another_writer_between_read_and_save(monkeypatch, db_url, {**facts[0], "key": "reg-elsewhere"})
    report = engine.ingest(*facts, batch=batch)
    assert report.recorded == len(facts) - 1
    assert [r["key"] for r in report.refused] == ["reg-C1"]
    assert "already recorded" in report.refused[0]["error"]
    assert stored(engine, FactRecord.id_for("btbconnect", "reg-C1")) == 0
    assert stored(engine, Client.id_for("C1")) == 2


def test_events_of_many_aggregates_are_read_in_order_and_missing_ones_are_absent(engine: Engine) -> None:
    engine.ingest(*history())
    ids = [Appointment.id_for("A2"), Client.id_for("nobody"), Client.id_for("C1"), Appointment.id_for("A1")]
    events = select_events(engine.app.recorder, ids)
    got = [(e.originator_id, e.originator_version) for e in events]
    assert sorted(got, key=lambda k: (str(k[0]), k[1])) == got
    assert {i: n for i, n in ((i, sum(1 for e in got if e[0] == i)) for i in ids) if n} == {
        ids[0]: 2, ids[2]: 2, ids[3]: 2}


PERSONAL = (b'"sealed_registration"', b'"type":"urssaf.client_registered"')


def all_events(engine: Engine) -> list[tuple]:
    """Every stored event; personal data is sealed, and keyed, with each store's own client keys."""
    notifications = engine.app.recorder.select_notifications(start=1, limit=1_000_000)
    return sorted((str(n.originator_id), n.originator_version, n.topic,
                   b"personal" if any(p in n.state for p in PERSONAL) else bytes(n.state)) for n in notifications)


@pytest.mark.parametrize("batch", BATCHES)
def test_a_batch_stores_the_very_events_of_one_by_one_ingestion(db_url: str, tmp_path, batch: int) -> None:
    from tests.test_btb_scenario import history as btb
    from tests.test_etincelle_scenario import history as etincelle

    facts = [*btb(), *etincelle()]
    facts += [facts[0], {**facts[1], "name": "Autre nom"}]
    one_by_one, batched = Engine(f"sqlite:///{tmp_path / 'single.db'}"), Engine(db_url)
    try:
        one_by_one.ingest(*facts)
        batched.ingest(*facts, batch=batch)
        assert all_events(batched) == all_events(one_by_one)
    finally:
        one_by_one.close()
        batched.close()
