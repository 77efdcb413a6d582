"""Idempotency keys are unique per provider (issue 12, point 6): the same key sent by both
providers is two facts, a conflict is told only within one provider, and a key recorded before
keys were scoped stays taken; through the services (one by one and in batches) and through the
real `billing serve`, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from domain.base import Stamp
from domain.records import FactRecord
from application.ledger import read_ledger
from tests.http_facts import Api
from tests.http_server import running_server
from tests.services import Engine
from tests.test_ingest_rules import client, fact

BATCHES = [1, 500]


def both_providers_with(key: str) -> list[dict]:
    """A client of each provider and a payment of each, the payments under one key."""
    return [client("B1"), client("E1", provider="etincelle", adult=True, invoicing="per_session"),
            fact(key, "payment.received", "2026-06-01T10:00:00+02:00", client_id="B1", amount="10.00", method="card"),
            fact(key, "payment.received", "2026-06-01T10:00:00+02:00", client_id="E1", amount="7.00", method="cash")]


@pytest.mark.parametrize("batch", BATCHES)
def test_one_key_used_by_both_providers_is_two_facts(engine: Engine, batch: int) -> None:
    facts = both_providers_with("pay-1")
    assert engine.ingest(*facts, batch=batch).recorded == 4
    payments = {(p.client_id, p.amount) for p in read_ledger(engine.app).payments()}
    assert {(c, str(a)) for c, a in payments} == {("B1", "10.00"), ("E1", "7.00")}
    again = engine.ingest(*facts[2:], batch=batch)
    assert (again.recorded, again.duplicates, again.refused) == (0, 2, [])


@pytest.mark.parametrize("batch", BATCHES)
def test_a_key_reused_within_one_provider_is_still_refused(engine: Engine, batch: int) -> None:
    facts = both_providers_with("pay-1")
    engine.ingest(*facts, batch=batch)
    other = {**facts[2], "amount": "11.00"}  # BTBCONNECT's own key, other content
    report = engine.ingest(other, batch=batch)
    assert [r["key"] for r in report.refused] == ["pay-1"]
    assert "already used by another payment.received fact" in report.refused[0]["error"]


def test_a_key_recorded_before_keys_were_scoped_stays_taken(engine: Engine) -> None:
    engine.ingest(client("B1"))
    legacy = FactRecord._create_at(  # what a store recorded before keys were scoped holds
        FactRecord.FactAccepted, Stamp(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, tzinfo=timezone.utc),
                                       "old-1"),
        id=FactRecord.unscoped_id("old-1"), key="old-1", type="payment.received", digest="d", events=[])
    engine.app.save(legacy)
    report = engine.ingest(fact("old-1", "payment.received", "2026-06-01T10:00:00+02:00", client_id="B1",
                                amount="10.00", method="card"))
    assert report.recorded == 0 and "already used" in report.refused[0]["error"]


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    with running_server(db_url, tmp_path / "server.log") as base:
        yield Api(base, db_url, tmp_path / "server.log")


def test_a_token_never_learns_the_other_providers_keys(api: Api) -> None:
    btb, ets = both_providers_with("shared-key")[::2], both_providers_with("shared-key")[1::2]
    with api.client(api.token("service", "etincelle")) as c:
        assert [c.post("/facts", json=f).status_code for f in ets] == [201, 201]
    with api.client(api.token("service", "btbconnect")) as c:
        # answered as a key never seen: nothing tells BTBCONNECT that L'Étincelle used it
        assert [c.post("/facts", json=f).json() for f in btb] == [
            {"key": "reg-B1", "result": "recorded"}, {"key": "shared-key", "result": "recorded"}]
        assert c.post("/facts", json=btb[1] | {"amount": "1.00"}).status_code == 409  # its own key
