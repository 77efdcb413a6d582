"""Facts may arrive in any order and payments before the invoices they pay: the documents,
what they were paid and the attestations depend on business time only."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services import Engine, engine_on
from tests.test_etincelle_scenario import history

FIRST_ADVANCE = date(2026, 1, 10)
END = date(2026, 4, 30)
SETTINGS = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def chains() -> tuple[list[dict], list[list[dict]], list[dict]]:
    """Registrations first; then one chain per session (its facts in order; the sessions that
    share make-up time in one chain, the blocked client's account facts after its failed debit);
    payments apart."""
    facts = history()
    prefix = [f for f in facts if f["type"] in ("client.registered", "urssaf.client_registered")]
    payments = [f for f in facts if f["type"] == "payment.received"]
    by_chain: dict[str, list[dict]] = {}
    for f in facts:
        if f in prefix or f in payments:
            continue
        name = f.get("session_id") or "B1"
        by_chain.setdefault("makeup" if name in ("M10", "M11", "M12") else name, []).append(f)
    return prefix, list(by_chain.values()), payments


def outcome(engine: Engine) -> tuple:
    engine.advance(END)
    invoices = [(i["number"], i["key"], i["lines"], i["paid"], i.get("avance_immediate")) for i in engine.invoices()]
    return invoices, engine.attestations(2026)


def run(backend: str, tmp_path: Path, ordered: list[dict], steps: list[tuple[int, date]]) -> tuple:
    with engine_on(backend, tmp_path) as engine:
        for position, fact in enumerate(ordered):
            for _, day in (s for s in steps if s[0] == position):
                engine.advance(day)
            engine.ingest(fact)
        return outcome(engine)


@st.composite
def arrivals(draw):
    prefix, session_chains, payments = chains()
    order = draw(st.permutations([i for i, chain in enumerate(session_chains) for _ in chain]))
    cursors = [iter(chain) for chain in session_chains]
    facts = prefix + [next(cursors[i]) for i in order]
    positions = draw(st.lists(st.integers(len(facts), len(facts) + len(payments)), min_size=len(payments),
                              max_size=len(payments)))
    for payment, position in sorted(zip(payments, positions), key=lambda pair: -pair[1]):
        facts.insert(position, payment)
    days = draw(st.lists(st.integers(0, (END - FIRST_ADVANCE).days), max_size=3))
    steps = sorted((draw(st.integers(len(facts) - len(payments), len(facts))), FIRST_ADVANCE + timedelta(days=d))
                   for d in days)
    return facts, steps


@SETTINGS
@given(arrival=arrivals())
def test_arrival_order_does_not_change_the_bill(backend: str, tmp_path: Path, arrival) -> None:
    facts, steps = arrival
    assert run(backend, tmp_path, facts, steps) == run(backend, tmp_path, history(), [])
