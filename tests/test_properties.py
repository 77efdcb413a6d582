"""Invariants over random histories, on both backends: the state folded from the log equals
the live aggregates; advancing in steps issues exactly what one advance issues, with numbers
that have no gap and follow issue dates; totals are sums of lines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.verify_service import verify_store
from application.ledger import read_ledger
from tests.histories import ORIGIN, facts_for, subscriptions
from tests.services import engine_on

END = ORIGIN + timedelta(days=420)
PROPERTY_SETTINGS = settings(max_examples=12, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(subs=subscriptions, pack=st.booleans(), steps=st.lists(st.integers(1, 420), max_size=5))
def test_advancing_in_steps_equals_one_advance(backend: str, tmp_path: Path, subs, pack, steps) -> None:
    with engine_on(backend, tmp_path) as stepped, engine_on(backend, tmp_path) as once:
        facts = facts_for(subs, pack)
        stepped.ingest(*facts)
        once.ingest(*facts)
        for offset in sorted(steps):
            stepped.advance(ORIGIN + timedelta(days=offset))
        stepped.advance(END)
        once.advance(END)
        assert_numbers_continuous_and_chronological(stepped.invoices())
        assert comparable(stepped.invoices()) == comparable(once.invoices())
        assert_totals_are_sums(once.invoices())
        assert verify_store(stepped.app, stepped.catalog)[0] == []


@PROPERTY_SETTINGS
@given(subs=subscriptions, pack=st.booleans())
def test_state_folded_from_the_log_equals_the_live_aggregates(backend: str, tmp_path: Path, subs, pack) -> None:
    with engine_on(backend, tmp_path) as engine:
        engine.ingest(*facts_for(subs, pack))
        engine.advance(END)
        ledger = read_ledger(engine.app)
        assert ledger.aggregates
        for aggregate_id, folded in ledger.aggregates.items():
            live = engine.app.repository.get(aggregate_id)
            assert vars(folded) == vars(live)


def assert_numbers_continuous_and_chronological(invoices: list[dict]) -> None:
    by_year: dict[str, list[int]] = {}
    for inv in invoices:
        _, year, n = inv["number"].split("-")
        assert inv["issued_on"].startswith(year)
        by_year.setdefault(year, []).append(int(n))
    for numbers in by_year.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    ordered = sorted(invoices, key=lambda i: (i["number"][4:8], int(i["number"][9:])))
    assert [i["issued_on"] for i in ordered] == sorted(i["issued_on"] for i in ordered)


def comparable(invoices: list[dict]) -> dict[str, list]:
    return {i["key"]: i["lines"] for i in invoices}


def assert_totals_are_sums(invoices: list[dict]) -> None:
    for inv in invoices:
        for total in ("total_ht", "vat", "total_ttc"):
            lines = sum(Decimal(ln[total]) for ln in inv["lines"])
            assert lines == Decimal(inv["total_vat" if total == "vat" else total])
        assert Decimal(inv["total_ht"]) + Decimal(inv["total_vat"]) == Decimal(inv["total_ttc"])
