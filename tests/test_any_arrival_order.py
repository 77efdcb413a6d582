"""The property of INTERPRETATION.md, "Facts judged at their business time…", on both backends:
take a history in which every fact is valid when sent in business-time order; any arrival order
of it, with refused facts sent again until nothing more is recorded, records every fact and
issues the same documents (numbers, lines, totals and what they were paid) as the history sent
in business-time order.

Histories are drawn loosely for both providers (breach cycles, option cycles, Starter Packs, make-up
time, URSSAF answers, direct debits and their failures, facts whose `at` ties) and the engine itself
keeps, as the history, the facts it records when they are sent in business-time order."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services import Engine, engine_on

PARIS = ZoneInfo("Europe/Paris")
BTB_START = datetime(2026, 5, 4, 9, tzinfo=PARIS)
ETS_START = datetime(2026, 1, 5, 9, tzinfo=PARIS)
END = date(2027, 1, 31)
SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def fact(key: str, type_: str, at: datetime, **fields: object) -> dict:
    return {"key": key, "type": type_, "at": at.isoformat(), **fields}


def business_time(f: dict) -> datetime:
    return datetime.fromisoformat(f["at"])


# --- what a history in business-time order records, and any other order -------------------------


def recorded_in_time_order(engine: Engine, drawn: list[dict]) -> list[dict]:
    """The history: what the engine records of the drawn facts sent in business-time order (ties
    in the order drawn)."""
    ordered = sorted(drawn, key=business_time)
    refused = {r["key"] for r in engine.ingest(*ordered).refused}
    return [f for f in ordered if f["key"] not in refused]


def record_until_nothing_more(engine: Engine, facts: list[dict], batch: int) -> list[dict]:
    """Sends the facts, then the refused ones again, until a round records nothing; what is
    still refused then."""
    pending = facts
    while pending:
        refusals = {r["key"]: r["error"] for r in engine.ingest(*pending, batch=batch).refused}
        still = [dict(f, error=refusals[f["key"]]) for f in pending if f["key"] in refusals]
        if len(still) == len(pending):
            return still
        pending = [{k: v for k, v in f.items() if k != "error"} for f in still]
    return []


def documents(engine: Engine) -> list[dict]:
    engine.advance(END)
    return engine.invoices()


def check_any_order(backend: str, tmp_path: Path, drawn: list[dict], order: list[int], batch: int,
                    all_valid: bool = False) -> None:
    with engine_on(backend, tmp_path) as in_time:
        history = recorded_in_time_order(in_time, drawn)
        expected = documents(in_time)
    assert not all_valid or history == sorted(drawn, key=business_time)
    with engine_on(backend, tmp_path) as shuffled:
        never = record_until_nothing_more(shuffled, [history[i] for i in order if i < len(history)], batch)
        assert not never, "never recorded:\n" + "\n".join(f"{f['key']}: {f['error']}" for f in never)
        assert documents(shuffled) == expected


def spread(drawn: list[dict]) -> list[dict]:
    """No two facts of a history share their `at` by chance (the n-th moves by n ms): facts of one
    aggregate at the same `at` go in arrival order, and two that do not commute would make the
    history's own order ambiguous. The ties drawn on purpose (`tie`: the key of the fact whose
    `at` it takes) are of facts that commute."""
    moved = [{**f, "at": (business_time(f) + timedelta(milliseconds=n)).isoformat()} for n, f in enumerate(drawn)]
    at = {f["key"]: f["at"] for f in moved}
    return [{k: v for k, v in f.items() if k != "tie"} | ({"at": at[f["tie"]]} if "tie" in f else {})
            for f in moved]


@st.composite
def arrival(draw, histories):
    drawn = spread(draw(histories))
    order = draw(st.permutations(range(len(drawn))))
    return drawn, order, draw(st.sampled_from([1, 1, 3, 50]))


# --- BTBCONNECT ----------------------------------------------------------------------------------


def btb_at(draw, first: int, last: int) -> datetime:
    """A business time on a coarse grid (whole days, a few hours), so that some `at`s tie."""
    return BTB_START + timedelta(days=draw(st.integers(first, last)), hours=draw(st.sampled_from([0, 0, 1, 3])))


def btb_subscriber(draw) -> list[dict]:
    out = [fact("C1-reg", "client.registered", BTB_START - timedelta(days=3), client_id="C1",
                provider="btbconnect", name="Agence 1"),
           fact("S1-start", "subscription.started", BTB_START, subscription_id="S1", client_id="C1",
                plan=draw(st.sampled_from(["START", "GROW", "DEV", "SCALE"])), monthly_fee="390.00",
                prepaid_quarterly=draw(st.booleans()))]
    return out + options(draw) + breaches(draw) + cancellation(draw) + subscription_appointments(draw)


def options(draw) -> list[dict]:
    out, day = [], 0
    for n in range(draw(st.integers(0, 2))):
        on = btb_at(draw, day, day + 30)
        off = on + timedelta(days=draw(st.integers(1, 40)))
        out += [fact(f"opt{n}", "subscription.option_activated", on, subscription_id="S1", option="multicanal",
                     monthly_fee_ht="250.00"),
                fact(f"opt{n}-off", "subscription.option_cancellation_notified", off, subscription_id="S1",
                     option="multicanal")]
        day = (off - BTB_START).days + draw(st.integers(0, 10))
    return out


def breaches(draw) -> list[dict]:
    """Formal notices, suspensions 16 days or more after them, remedies (CGPS art. 9)."""
    out, day = [], draw(st.integers(10, 60))
    for n in range(draw(st.integers(0, 3))):
        notice = btb_at(draw, day, day + 20)
        out.append(fact(f"notice{n}", "subscription.formal_notice_sent", notice, subscription_id="S1", reason="impayé"))
        if draw(st.booleans()):
            suspended = notice + timedelta(days=draw(st.integers(16, 25)))
            out.append(fact(f"susp{n}", "subscription.suspended_for_breach", suspended, subscription_id="S1"))
        remedied = notice + timedelta(days=draw(st.integers(1, 45)))
        if draw(st.integers(0, 4)):
            out.append(fact(f"remedy{n}", "subscription.breach_remedied", remedied, subscription_id="S1"))
        day = (remedied - BTB_START).days + draw(st.integers(0, 5))
    if draw(st.integers(0, 5)) == 0:
        out.append(fact("terminated", "subscription.terminated_for_breach", btb_at(draw, 30, 200), subscription_id="S1"))
    return out


def cancellation(draw) -> list[dict]:
    if not draw(st.booleans()):
        return []
    return [fact("cancel", "subscription.cancellation_notified", btb_at(draw, 20, 200), subscription_id="S1")]


def subscription_appointments(draw) -> list[dict]:
    out = []
    for n in range(draw(st.integers(0, 7))):
        starts = BTB_START + timedelta(days=draw(st.integers(1, 220)), hours=1)
        contract = {"subscription_id": "S1"} if draw(st.integers(0, 3)) else {}
        out.append(fact(f"A{n}-s", "appointment.scheduled", starts - timedelta(days=draw(st.integers(1, 5))),
                        appointment_id=f"A{n}", client_id="C1", starts_at=starts.isoformat(), **contract))
        out += appointment_life(draw, f"A{n}", starts)
    return out


def appointment_life(draw, aid: str, starts: datetime) -> list[dict]:
    outcome = draw(st.sampled_from(["honoured", "honoured", "contested", "cancelled", "nothing"]))
    if outcome == "cancelled":
        return [fact(f"{aid}-x", "appointment.cancelled", starts - timedelta(hours=12), appointment_id=aid)]
    if outcome == "nothing":
        return []
    out = [fact(f"{aid}-h", "appointment.honoured", starts + timedelta(hours=1), appointment_id=aid)]
    if outcome == "contested":  # sometimes at the very time of the honour: the two commute
        tie = {"tie": f"{aid}-h"} if draw(st.integers(0, 3)) == 0 else {}
        out.append(fact(f"{aid}-a", "appointment.anomaly_declared", starts + timedelta(days=draw(st.integers(1, 9))),
                        appointment_id=aid, reason="hors cible", **tie))
    return out


def btb_pack_client(draw) -> list[dict]:
    """Up to 12 bookings on a pack of 10 (CGPS art. 3): some may find it exhausted."""
    if not draw(st.booleans()):
        return []
    out = [fact("C2-reg", "client.registered", BTB_START - timedelta(days=2), client_id="C2",
                provider="btbconnect", name="Agence 2"),
           fact("P2", "starter_pack.ordered", BTB_START + timedelta(days=1), pack_id="P2", client_id="C2")]
    if draw(st.booleans()):
        out.append(fact("P2-campaign", "starter_pack.campaign_started", btb_at(draw, 1, 5), pack_id="P2"))
    for n in range(draw(st.integers(0, 12))):
        starts = BTB_START + timedelta(days=2 + 2 * n + draw(st.integers(0, 20)), hours=2)
        out.append(fact(f"PA{n}-s", "appointment.scheduled", starts - timedelta(days=1), appointment_id=f"PA{n}",
                        client_id="C2", starts_at=starts.isoformat(), pack_id="P2"))
        out += appointment_life(draw, f"PA{n}", starts)
    return out


def btb_payments(draw) -> list[dict]:
    """A direct debit for the first fee invoice and, maybe, its failure; other payments."""
    out = [fact("debit1", "payment.received", BTB_START + timedelta(days=1), client_id="C1", amount="390.00",
                method="direct_debit", invoice="BTB-2026-00001")]
    if draw(st.booleans()):
        out.append(fact("bounce1", "payment.failed", btb_at(draw, 1, 8), client_id="C1", amount="390.00",
                        invoice="BTB-2026-00001"))
        out.append(fact("debit2", "payment.received", btb_at(draw, 2, 12), client_id="C1", amount="390.00",
                        method="direct_debit", invoice="BTB-2026-00001"))
    # A transfer at the very time of the subscription's start (another aggregate: they commute).
    out.append(fact("transfer", "payment.received", btb_at(draw, 20, 90), client_id="C1",
                    amount=draw(st.sampled_from(["100.00", "780.00"])), method="transfer", tie="S1-start"))
    return out


@st.composite
def btb_histories(draw) -> list[dict]:
    return btb_subscriber(draw) + btb_pack_client(draw) + btb_payments(draw)


@SETTINGS
@given(drawn=arrival(btb_histories()))
def test_btbconnect_documents_do_not_depend_on_arrival_order(backend: str, tmp_path: Path, drawn) -> None:
    check_any_order(backend, tmp_path, *drawn)


# --- L'Étincelle du Savoir -----------------------------------------------------------------------


def ets_client(draw) -> list[dict]:
    invoicing = draw(st.sampled_from(["per_session", "monthly"]))
    out = [fact("E1-reg", "client.registered", ETS_START - timedelta(days=3), client_id="E1",
                provider="etincelle", name="Famille", adult=True, invoicing=invoicing)]
    if draw(st.booleans()):
        out.append(fact("E1-urssaf", "urssaf.client_registered", ETS_START - timedelta(days=2), client_id="E1",
                        birth_name="Durand", birth_date="1980-01-01", birth_place="Gap",
                        address="3 rue Carnot, 05000 Gap", email="parent@example.fr",
                        iban="FR7630006000011234567890189"))
    return out


def session_facts(draw, n: int, owed: list[int]) -> list[dict]:
    sid = f"S{n}"
    booked = ETS_START + timedelta(days=draw(st.integers(0, 150)), hours=draw(st.sampled_from([0, 1, 3])))
    starts = booked + timedelta(days=draw(st.integers(3, 15)), hours=8)
    out = [fact(f"{sid}-b", "session.booked", booked, session_id=sid, client_id="E1", starts_at=starts.isoformat(),
                duration_minutes=draw(st.sampled_from([60, 90])),
                place=draw(st.sampled_from(["home", "home", "remote"])), level="lycee", hourly_rate="40.00")]
    if draw(st.integers(0, 5)):
        out.append(fact(f"{sid}-c", "session.confirmed", booked + timedelta(hours=draw(st.sampled_from([0, 1, 30]))),
                        session_id=sid))
    return out + session_end(draw, sid, starts, owed)


def session_end(draw, sid: str, starts: datetime, owed: list[int]) -> list[dict]:
    outcome = draw(st.sampled_from(["held", "held", "held", "absent", "cancelled", "nothing"]))
    if outcome == "cancelled":
        before = timedelta(hours=draw(st.sampled_from([10, 71, 73, 100, 400])))
        return [fact(f"{sid}-x", "session.cancelled", starts - before, session_id=sid,
                     by=draw(st.sampled_from(["client", "client", "provider"])),
                     force_majeure=draw(st.booleans()), proof=draw(st.booleans()))]
    if outcome == "absent":
        return [fact(f"{sid}-a", "session.student_absent", starts + timedelta(minutes=20), session_id=sid)]
    if outcome == "nothing":
        return []
    details: dict = {}
    if draw(st.integers(0, 3)) == 0:
        details["provider_late_minutes"] = draw(st.sampled_from([10, 15]))
        owed.append(details["provider_late_minutes"])
    elif owed and draw(st.booleans()):
        details["makeup_minutes"] = owed.pop(0)
    held = fact(f"{sid}-h", "session.held", starts + timedelta(hours=1), session_id=sid, **details)
    return [held, *urssaf_answer(draw, sid, starts)]


def urssaf_answer(draw, sid: str, starts: datetime) -> list[dict]:
    answer = draw(st.sampled_from(["none", "none", "validated", "contested", "failed"]))
    if answer == "none":
        return []
    out = [fact(f"{sid}-u", f"urssaf.{'debit_failed' if answer == 'failed' else 'request_' + answer}",
                starts + timedelta(days=draw(st.integers(1, 4))), session_id=sid)]
    if answer == "failed" and draw(st.booleans()):
        out.append(fact(f"{sid}-unblock", "urssaf.account_unblocked", starts + timedelta(days=6), client_id="E1"))
    return out


@st.composite
def ets_histories(draw) -> list[dict]:
    owed: list[int] = []
    out = ets_client(draw)
    for n in range(draw(st.integers(1, 7))):
        out += session_facts(draw, n, owed)
    if draw(st.integers(0, 4)) == 0:
        out.append(fact("E1-renounce", "urssaf.client_renounced", ETS_START + timedelta(days=draw(st.integers(10, 150))),
                        client_id="E1"))
    held = [f["key"] for f in out if f["type"] == "session.held"]
    tie = {"tie": draw(st.sampled_from(held))} if held else {}
    out.append(fact("E1-pay", "payment.received", ETS_START + timedelta(days=draw(st.integers(5, 160))),
                    client_id="E1", amount="60.00", method="card", **tie))
    return out


@SETTINGS
@given(drawn=arrival(ets_histories()))
def test_etincelle_documents_do_not_depend_on_arrival_order(backend: str, tmp_path: Path, drawn) -> None:
    check_any_order(backend, tmp_path, *drawn)


# --- named histories, each valid in business-time order ----------------------------------------


def btb_base() -> list[dict]:
    return [fact("C1-reg", "client.registered", BTB_START - timedelta(days=3), client_id="C1", provider="btbconnect",
                 name="Agence"),
            fact("S1-start", "subscription.started", BTB_START, subscription_id="S1", client_id="C1", plan="GROW",
                 monthly_fee="590.00")]


def on_s1(key: str, type_: str, day: int, **fields: object) -> dict:
    return fact(key, type_, BTB_START + timedelta(days=day, hours=1), subscription_id="S1", **fields)


def booking(aid: str, day: int) -> list[dict]:
    starts = BTB_START + timedelta(days=day, hours=2)
    return [fact(f"{aid}-s", "appointment.scheduled", starts - timedelta(days=1), appointment_id=aid, client_id="C1",
                 starts_at=starts.isoformat(), subscription_id="S1"),
            fact(f"{aid}-h", "appointment.honoured", starts + timedelta(hours=1), appointment_id=aid)]


NAMED = {
    # The example: booked on 6 January, confirmed that day, cancelled in time on 23 January.
    "a confirmation and its later cancellation": [
        fact("E1-reg", "client.registered", datetime(2026, 1, 2, 9, tzinfo=PARIS), client_id="E1",
             provider="etincelle", name="Famille", adult=True, invoicing="per_session"),
        fact("S1-b", "session.booked", datetime(2026, 1, 6, 9, tzinfo=PARIS), session_id="S1", client_id="E1",
             starts_at=datetime(2026, 1, 27, 17, tzinfo=PARIS).isoformat(), duration_minutes=60, place="home",
             level="lycee", hourly_rate="40.00"),
        fact("S1-c", "session.confirmed", datetime(2026, 1, 6, 10, tzinfo=PARIS), session_id="S1"),
        fact("S1-x", "session.cancelled", datetime(2026, 1, 23, 10, tzinfo=PARIS), session_id="S1", by="client"),
        fact("S2-b", "session.booked", datetime(2026, 1, 6, 9, tzinfo=PARIS), session_id="S2", client_id="E1",
             starts_at=datetime(2026, 1, 28, 17, tzinfo=PARIS).isoformat(), duration_minutes=60, place="home",
             level="lycee", hourly_rate="40.00"),
        fact("S2-c", "session.confirmed", datetime(2026, 1, 6, 10, tzinfo=PARIS), session_id="S2"),
        fact("S2-x", "session.cancelled", datetime(2026, 1, 27, 10, tzinfo=PARIS), session_id="S2", by="client"),
    ],
    # Notice on 1 June (day 28), suspended on 20 June, remedied on 1 July; bookings either side.
    "a suspension and its remedy": [
        *btb_base(), on_s1("n1", "subscription.formal_notice_sent", 28, reason="impayé"),
        on_s1("s1", "subscription.suspended_for_breach", 47), on_s1("r1", "subscription.breach_remedied", 58),
        *booking("A1", 40), *booking("A2", 62)],
    # A notice remedied, a second notice, and the suspension under the second one.
    "a remedy of an earlier notice and a later suspension": [
        *btb_base(), on_s1("n1", "subscription.formal_notice_sent", 28, reason="impayé"),
        on_s1("r1", "subscription.breach_remedied", 32), on_s1("n2", "subscription.formal_notice_sent", 40,
                                                                reason="impayé à nouveau"),
        on_s1("s2", "subscription.suspended_for_breach", 60), on_s1("r2", "subscription.breach_remedied", 75)],
    # Facts whose `at` tie: on other aggregates, and an anomaly at the very time of its honour.
    "facts whose at ties": [
        *btb_base(), *booking("A1", 10),
        fact("A1-a", "appointment.anomaly_declared", BTB_START + timedelta(days=10, hours=3), appointment_id="A1",
             reason="hors cible"),
        fact("pay", "payment.received", BTB_START + timedelta(days=10, hours=3), client_id="C1", amount="590.00",
             method="transfer"),
        on_s1("n1", "subscription.formal_notice_sent", 9, reason="x"),
        fact("A2-s", "appointment.scheduled", BTB_START + timedelta(days=9, hours=1), appointment_id="A2",
             client_id="C1", starts_at=(BTB_START + timedelta(days=12)).isoformat(), subscription_id="S1")],
}


@pytest.mark.parametrize("name", NAMED)
def test_named_histories_arriving_backwards(backend: str, tmp_path: Path, name: str) -> None:
    history = sorted(NAMED[name], key=business_time)
    check_any_order(backend, tmp_path, history, list(reversed(range(len(history)))), 1, all_valid=True)


@pytest.mark.parametrize("name", NAMED)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_named_histories_in_any_order(backend: str, tmp_path: Path, name: str, data) -> None:
    history = sorted(NAMED[name], key=business_time)
    order = data.draw(st.permutations(range(len(history))))
    check_any_order(backend, tmp_path, history, order, data.draw(st.sampled_from([1, 4])), all_valid=True)


def test_a_remedy_of_an_earlier_notice_recorded_after_a_later_suspension(backend: str, tmp_path: Path) -> None:
    """N1 1 Jun, R1 5 Jun, N2 13 Jun, S2 3 Jul (20 days after N2), R2 18 Jul; S2 arrives while only
    N1 is known (it is then judged against N1), R1 after it, N2 last."""
    history = sorted(NAMED["a remedy of an earlier notice and a later suspension"], key=business_time)
    keys = [f["key"] for f in history]
    arrival = ["C1-reg", "S1-start", "n1", "s2", "r1", "n2", "r2"]
    check_any_order(backend, tmp_path, history, [keys.index(k) for k in arrival], 1, all_valid=True)
