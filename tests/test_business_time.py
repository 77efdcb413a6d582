"""Facts judged at their business time, whatever order they arrive in (INTERPRETATION.md, "Facts
judged at their business time…"), on both backends: a fact dated before what it names is refused
naming both times and the fact that created it; a fact that would make a later recorded fact
impossible is refused naming that fact; conflicts go to whichever was recorded first; a payment
failure names a direct debit of the same amount received before it."""

from __future__ import annotations

from datetime import date
from pathlib import Path


from domain.starter_packs import StarterPack
from tests.services import Engine, engine_on
from tests.test_ingest_rules import fact


def btb_client(cid: str = "C1", at: str = "2026-05-01T09:00:00+02:00") -> dict:
    return fact(f"reg-{cid}", "client.registered", at, client_id=cid, provider="btbconnect", name="Agence")


def subscription(sid: str = "S1", at: str = "2026-05-04T09:00:00+02:00", **extra: object) -> dict:
    return fact(f"start-{sid}", "subscription.started", at, subscription_id=sid, client_id="C1", plan="START",
                monthly_fee="390.00", **extra)


def scheduled(aid: str, at: str, starts: str, **contract: object) -> dict:
    return fact(f"{aid}-s", "appointment.scheduled", at, appointment_id=aid, client_id="C1", starts_at=starts,
                **contract)


def ets_client(cid: str = "E1") -> dict:
    return fact(f"reg-{cid}", "client.registered", "2026-01-02T09:00:00+01:00", client_id=cid,
                provider="etincelle", name="Famille", adult=True, invoicing="per_session")


def booked(sid: str, at: str, starts: str) -> dict:
    return fact(f"{sid}-b", "session.booked", at, session_id=sid, client_id="E1", starts_at=starts,
                duration_minutes=60, place="home", level="lycee", hourly_rate="40.00")


# --- dated before what it names ----------------------------------------------------------------


def test_a_cancellation_dated_before_the_scheduling_is_refused(engine: Engine) -> None:
    engine.ingest(btb_client(), subscription(),
                  scheduled("A1", "2026-05-15T08:00:00+02:00", "2026-05-20T10:00:00+02:00", subscription_id="S1"))
    error = engine.refusal(fact("A1-x", "appointment.cancelled", "2026-05-14T18:00:00+02:00", appointment_id="A1"))
    assert "appointment 'A1'" in error and "appointment.scheduled 'A1-s' at 2026-05-15T08:00+02:00" in error
    assert "appointment.cancelled at 2026-05-14T18:00+02:00 comes before it" in error
    error = engine.refusal(fact("A1-h", "appointment.honoured", "2026-05-15T07:59:00+02:00", appointment_id="A1"))
    assert "appointment.scheduled 'A1-s' at 2026-05-15T08:00+02:00" in error
    # At the very time of the scheduling it is after it: ties go to what arrived first.
    assert engine.ingest(fact("A1-x2", "appointment.cancelled", "2026-05-15T08:00:00+02:00",
                              appointment_id="A1")).recorded == 1


def test_a_payment_before_the_registration_and_a_confirmation_before_the_booking_are_refused(engine: Engine) -> None:
    engine.ingest(btb_client(), ets_client(), booked("S1", "2026-01-06T09:00:00+01:00", "2026-01-27T17:00:00+01:00"))
    error = engine.refusal(fact("p", "payment.received", "2026-04-30T12:00:00+02:00", client_id="C1",
                                amount="10.00", method="transfer"))
    assert "client.registered 'reg-C1' at 2026-05-01T09:00+02:00" in error and "2026-04-30T12:00+02:00" in error
    error = engine.refusal(fact("c", "session.confirmed", "2026-01-05T09:00:00+01:00", session_id="S1"))
    assert "session.booked 'S1-b' at 2026-01-06T09:00+01:00" in error and "2026-01-05T09:00+01:00" in error
    error = engine.refusal(subscription(at="2026-04-30T09:00:00+02:00"))
    assert "client.registered 'reg-C1'" in error


# --- judged as of its own business time ------------------------------------------------------


def confirmation_then_cancellation() -> list[dict]:
    """Booked on 6 January, confirmed the same day, cancelled in time on 23 January (start 27th)."""
    return [ets_client(), booked("S1", "2026-01-06T09:00:00+01:00", "2026-01-27T17:00:00+01:00"),
            fact("S1-c", "session.confirmed", "2026-01-06T10:00:00+01:00", session_id="S1"),
            fact("S1-x", "session.cancelled", "2026-01-23T10:00:00+01:00", session_id="S1", by="client")]


def test_a_confirmation_arriving_after_its_later_cancellation_is_judged_on_its_own_date(engine: Engine) -> None:
    registered, booking, confirmation, cancellation = confirmation_then_cancellation()
    assert engine.ingest(registered, booking, cancellation, confirmation).recorded == 4
    assert engine.advance(date(2026, 2, 28)) == []  # cancelled 4 days before: not billed (CGV art. 6)


def test_a_late_cancellation_recorded_before_its_confirmation_is_billed_as_in_time_order(
    backend: str, tmp_path: Path,
) -> None:
    # Cancelled on 26 January at 10:00 for a start at 17:00 the next day: 31 h before, billed in full.
    history = [*confirmation_then_cancellation()[:3],
               fact("S1-x", "session.cancelled", "2026-01-26T10:00:00+01:00", session_id="S1", by="client")]
    billed = []
    for order in (history, [history[0], history[1], history[3], history[2]]):
        with engine_on(backend, tmp_path) as engine:
            assert engine.ingest(*order).recorded == 4
            engine.advance(date(2026, 2, 28))
            billed.append([(i["number"], [ln["code"] for ln in i["lines"]], i["total_ttc"]) for i in engine.invoices()])
    assert billed == [[("ETS-2026-00001", ["late_cancellation"], "40.00")]] * 2


def test_a_fact_that_would_make_a_later_recorded_fact_impossible_is_refused_naming_it(engine: Engine) -> None:
    engine.ingest(ets_client(), booked("S1", "2026-01-06T09:00:00+01:00", "2026-01-27T17:00:00+01:00"),
                  fact("S1-c", "session.confirmed", "2026-01-06T10:00:00+01:00", session_id="S1"),
                  fact("S1-h", "session.held", "2026-01-27T18:00:00+01:00", session_id="S1"))
    error = engine.refusal(fact("S1-x", "session.cancelled", "2026-01-20T10:00:00+01:00", session_id="S1", by="client"))
    assert "would make session.held 'S1-h' at 2026-01-27T18:00+01:00, recorded already, impossible" in error
    assert "session.cancelled at 2026-01-20T10:00+01:00" in error


def test_an_honour_dated_after_a_late_recorded_cancellation_is_refused_and_the_reverse_too(engine: Engine) -> None:
    engine.ingest(btb_client(), subscription(),
                  scheduled("A1", "2026-05-15T08:00:00+02:00", "2026-05-20T10:00:00+02:00", subscription_id="S1"),
                  fact("A1-h", "appointment.honoured", "2026-05-20T11:00:00+02:00", appointment_id="A1"))
    error = engine.refusal(fact("A1-x", "appointment.cancelled", "2026-05-18T10:00:00+02:00", appointment_id="A1"))
    assert "appointment.honoured 'A1-h'" in error and "recorded already" in error


# --- conflicts: whichever was recorded first stands ------------------------------------------


def noticed(at: str = "2026-06-01T10:00:00+02:00") -> list[dict]:
    return [btb_client(), subscription(), fact("n1", "subscription.formal_notice_sent", at, subscription_id="S1",
                                               reason="impayés")]


def test_a_booking_recorded_first_makes_the_suspension_dated_before_it_refused(engine: Engine) -> None:
    booking = scheduled("A1", "2026-06-20T08:00:00+02:00", "2026-06-25T10:00:00+02:00", subscription_id="S1")
    engine.ingest(*noticed(), booking)
    error = engine.refusal(fact("susp", "subscription.suspended_for_breach", "2026-06-17T09:00:00+02:00",
                                subscription_id="S1"))
    assert "appointment.scheduled 'A1-s' at 2026-06-20T08:00+02:00" in error and "suspended for breach" in error


def test_a_booking_during_a_suspension_names_the_suspension(engine: Engine) -> None:
    engine.ingest(*noticed(), fact("susp", "subscription.suspended_for_breach", "2026-06-17T09:00:00+02:00",
                                   subscription_id="S1"))
    error = engine.refusal(scheduled("A1", "2026-06-20T08:00:00+02:00", "2026-06-25T10:00:00+02:00",
                                     subscription_id="S1"))
    assert "suspended for breach on 2026-06-25 (suspension at 2026-06-17T09:00+02:00, CGPS art. 9)" in error


def test_a_second_starter_pack_dated_earlier_is_refused_naming_the_first(engine: Engine) -> None:
    engine.ingest(btb_client(), fact("p2", "starter_pack.ordered", "2026-06-01T09:00:00+02:00", pack_id="P2",
                                     client_id="C1"))
    error = engine.refusal(fact("p1", "starter_pack.ordered", "2026-05-10T09:00:00+02:00", pack_id="P1",
                                client_id="C1"))
    assert "already ordered Starter Pack 'P2' (starter_pack.ordered 'p2' at 2026-06-01T09:00+02:00)" in error


def test_an_eleventh_booking_recorded_first_makes_the_honour_that_exhausts_the_pack_refused(engine: Engine) -> None:
    facts = [btb_client(), fact("pack", "starter_pack.ordered", "2026-05-04T09:00:00+02:00", pack_id="P",
                                client_id="C1")]
    for n in range(1, 11):  # 4..14 May: all validated by the end of 22 May (5 jours ouvrables)
        day = f"2026-05-{4 + n:02d}"
        facts.append(scheduled(f"A{n}", f"{day}T08:00:00+02:00", f"{day}T10:00:00+02:00", pack_id="P"))
        if n < 10:
            facts.append(fact(f"A{n}-h", "appointment.honoured", f"{day}T11:00:00+02:00", appointment_id=f"A{n}"))
    facts.append(scheduled("A11", "2026-06-01T08:00:00+02:00", "2026-06-03T10:00:00+02:00", pack_id="P"))
    assert engine.ingest(*facts).recorded == len(facts)  # only 9 validated when A11 was booked
    error = engine.refusal(fact("A10-h", "appointment.honoured", "2026-05-14T11:00:00+02:00", appointment_id="A10"))
    assert "appointment.scheduled 'A11-s' at 2026-06-01T08:00+02:00" in error and "exhausted" in error


# --- payment failures ----------------------------------------------------------------------


def test_a_payment_failure_names_a_direct_debit_of_that_amount_received_before_it(engine: Engine) -> None:
    def failed(key: str, at: str, amount: str) -> dict:
        return fact(key, "payment.failed", at, client_id="C1", amount=amount, invoice="BTB-2026-00001")

    engine.ingest(btb_client(), subscription(),
                  fact("t", "payment.received", "2026-05-05T10:00:00+02:00", client_id="C1", amount="390.00",
                       method="transfer", invoice="BTB-2026-00001"))
    assert "names no direct debit" in engine.refusal(failed("f1", "2026-05-06T10:00:00+02:00", "390.00"))
    engine.ingest(fact("d", "payment.received", "2026-05-07T10:00:00+02:00", client_id="C1", amount="100.00",
                       method="direct_debit", invoice="BTB-2026-00001"))
    error = engine.refusal(failed("f2", "2026-05-08T10:00:00+02:00", "390.00"))
    assert "no direct debit of that amount" in error and "100.00 (payment.received 'd'" in error
    assert "names no direct debit" in engine.refusal(failed("f3", "2026-05-06T10:00:00+02:00", "100.00"))
    assert engine.ingest(failed("f4", "2026-05-08T10:00:00+02:00", "100.00")).recorded == 1
    assert "bounced already" in engine.refusal(failed("f5", "2026-05-09T10:00:00+02:00", "100.00"))


def test_a_failure_dated_before_a_recorded_one_may_not_leave_it_without_its_debit(engine: Engine) -> None:
    def debit(key: str, at: str) -> dict:
        return fact(key, "payment.received", at, client_id="C1", amount="100.00", method="direct_debit",
                    invoice="BTB-2026-00001")

    def failed(key: str, at: str) -> dict:
        return fact(key, "payment.failed", at, client_id="C1", amount="100.00", invoice="BTB-2026-00001")

    engine.ingest(btb_client(), debit("d1", "2026-05-05T10:00:00+02:00"), failed("f2", "2026-05-09T10:00:00+02:00"))
    error = engine.refusal(failed("f1", "2026-05-06T10:00:00+02:00"))
    assert "would make payment.failed 'f2' at 2026-05-09T10:00+02:00, recorded already, impossible" in error
    # With the second debit of 7 May recorded, both failures have their debit.
    assert engine.ingest(debit("d2", "2026-05-07T10:00:00+02:00"), failed("f1", "2026-05-06T10:00:00+02:00")).recorded == 2


# --- contracts older than the first known terms version -----------------------------------------


def test_contracts_older_than_every_known_version_name_their_terms(engine: Engine) -> None:
    engine.ingest(btb_client(at="2025-12-01T09:00:00+01:00"))
    order = fact("pack", "starter_pack.ordered", "2026-01-10T09:00:00+01:00", pack_id="P", client_id="C1")
    assert "no btbconnect terms version is in force on 2026-01-10; name one with 'terms'" in engine.refusal(order)
    assert engine.ingest({**order, "terms": "CGPS20260208-2"}).recorded == 1
    ets = {**ets_client(), "at": "2025-01-02T09:00:00+01:00"}
    engine.ingest(ets, booked("S1", "2025-03-01T09:00:00+01:00", "2025-03-10T17:00:00+01:00"))
    confirm = fact("S1-c", "session.confirmed", "2025-03-01T10:00:00+01:00", session_id="S1")
    assert "no etincelle terms version is in force on 2025-03-01" in engine.refusal(confirm)
    engine.ingest({**confirm, "terms": "CGV-2025-09-02"},
                  fact("S1-h", "session.held", "2025-03-10T18:00:00+01:00", session_id="S1"))
    engine.advance(date(2026, 1, 31))
    (pack_invoice,) = engine.invoices(provider="btbconnect")
    (session_invoice,) = engine.invoices(provider="etincelle")
    assert (pack_invoice["terms"], pack_invoice["issued_on"], pack_invoice["total_ttc"]) == \
        ("CGPS20260208-2", "2026-01-10", "1790.00")
    assert (session_invoice["terms"], session_invoice["issued_on"]) == ("CGV-2025-09-02", "2025-03-10")


# --- idempotency is unchanged ----------------------------------------------------------------


def test_a_fact_sent_again_is_a_duplicate_whatever_happened_in_between(engine: Engine) -> None:
    history = confirmation_then_cancellation()
    engine.ingest(*history)
    engine.ingest(fact("S2-b", "session.booked", "2026-01-07T09:00:00+01:00", session_id="S2", client_id="E1",
                       starts_at="2026-01-28T17:00:00+01:00", duration_minutes=60, place="home", level="lycee",
                       hourly_rate="40.00"))
    report = engine.ingest(*reversed(history))
    assert (report.recorded, report.duplicates, report.refused) == (0, 4, [])


def test_a_late_subscription_that_would_change_the_contract_of_an_appointment_naming_none_is_refused(
    engine: Engine,
) -> None:
    engine.ingest(btb_client(), fact("pack", "starter_pack.ordered", "2026-05-02T09:00:00+02:00", pack_id="P",
                                     client_id="C1"),
                  scheduled("A1", "2026-05-06T08:00:00+02:00", "2026-05-07T10:00:00+02:00"))
    pack = engine.app.repository.get(StarterPack.id_for("P"))
    assert pack.appointment_ids == ["A1"]  # no subscription known on 6 May: it drew on the pack
    error = engine.refusal(subscription())  # started 4 May: A1 would have drawn on it
    assert "appointment 'A1' of client 'C1' named no contract and drew on 'P'" in error
    assert "appointment.scheduled 'A1-s' at 2026-05-06T08:00+02:00" in error
    # Dated after the appointment, the subscription changes nothing for it.
    assert engine.ingest(subscription(at="2026-05-06T09:00:00+02:00")).recorded == 1
