"""Rules enforced when facts come in, on both backends: refused facts name the rule and record
nothing, and the facts around them still go in."""

from __future__ import annotations

from datetime import date

import pytest

from tests.services import Engine


def fact(key: str, type_: str, at: str, **fields: object) -> dict:
    return {"key": key, "type": type_, "at": at, **fields}


def client(client_id: str = "C1", provider: str = "btbconnect", **extra: object) -> dict:
    return fact(f"reg-{client_id}", "client.registered", "2026-05-01T09:00:00+02:00",
                client_id=client_id, provider=provider, name="Client", **extra)


def subscription(sub_id: str = "S1", start: str = "2026-05-04T09:00:00+02:00", **extra: object) -> dict:
    return fact(f"start-{sub_id}", "subscription.started", start, subscription_id=sub_id,
                client_id="C1", plan="START", monthly_fee="390.00", **extra)


def appointment(appt_id: str, day: str, **contract: object) -> list[dict]:
    return [fact(f"{appt_id}-s", "appointment.scheduled", f"{day}T08:00:00+02:00", appointment_id=appt_id,
                 client_id="C1", starts_at=f"{day}T10:00:00+02:00", **contract),
            fact(f"{appt_id}-h", "appointment.honoured", f"{day}T11:00:00+02:00", appointment_id=appt_id)]


def test_a_refused_fact_records_nothing_and_the_others_go_in(engine: Engine) -> None:
    report = engine.ingest(client(), subscription(plan_typo=1), subscription("S2"))
    assert report.recorded == 2
    assert [r["key"] for r in report.refused] == ["start-S1"]
    assert "plan_typo" in report.refused[0]["error"]
    engine.advance(date(2026, 5, 31))
    assert [i["key"] for i in engine.invoices()] == ["btb:fee:S2:0"]


def test_facts_about_unknown_things_say_what_to_send_first(engine: Engine) -> None:
    error = engine.refusal(subscription())
    assert "no client 'C1'" in error and "client.registered" in error
    engine.ingest(client())
    assert "subscription.started" in engine.refusal(
        fact("x", "subscription.cancellation_notified", "2026-06-01T09:00:00+02:00", subscription_id="NOPE"))


def test_a_client_is_registered_once_and_bills_one_provider(engine: Engine) -> None:
    engine.ingest(client())
    assert "already recorded" in engine.refusal({**client(), "key": "again"})
    engine.ingest(client("E1", "etincelle", adult=True, invoicing="monthly"))
    error = engine.refusal(fact("p", "starter_pack.ordered", "2026-05-02T09:00:00+02:00", pack_id="P", client_id="E1"))
    assert "etincelle client" in error


def test_a_minor_cannot_be_an_etincelle_client(engine: Engine) -> None:
    error = engine.refusal(client("E2", "etincelle", adult=False, invoicing="per_session"))
    assert "not an adult" in error and "CGV art. 1, 14" in error


def test_the_pack_is_exhausted_once_ten_appointments_are_validated(engine: Engine) -> None:
    engine.ingest(client(), fact("p", "starter_pack.ordered", "2026-05-02T09:00:00+02:00", pack_id="P", client_id="C1"))
    days = [f"2026-05-{d:02d}" for d in (4, 5, 6, 7, 11, 12, 13, 15, 18, 19)]
    for i, day in enumerate(days):
        engine.ingest(*appointment(f"A{i}", day, pack_id="P"))
    # A9 (19 May) validates at the end of 26 May (Whit Monday 25 May skipped): booking on 26 May is
    # still possible, on 27 May the pack is exhausted.
    assert engine.ingest(*appointment("A10", "2026-05-26", pack_id="P")).recorded == 2
    error = engine.refusal(fact("A11-s", "appointment.scheduled", "2026-05-27T08:00:00+02:00",
                                appointment_id="A11", client_id="C1", starts_at="2026-05-29T10:00:00+02:00"))
    assert "exhausted" in error and "CGPS art. 3" in error


def test_an_appointment_outside_any_subscription_is_refused(engine: Engine) -> None:
    engine.ingest(client(), subscription())
    error = engine.refusal(appointment("A0", "2026-05-02")[0])
    assert "no subscription covering 2026-05-02" in error
    assert engine.ingest(*appointment("A1", "2026-05-05")).recorded == 2


def test_cancelled_or_contested_appointments_cannot_change_again(engine: Engine) -> None:
    engine.ingest(client(), subscription(), appointment("A1", "2026-05-05")[0])
    engine.ingest(fact("A1-x", "appointment.cancelled", "2026-05-05T09:00:00+02:00", appointment_id="A1"))
    assert "was cancelled" in engine.refusal(
        fact("A1-h", "appointment.honoured", "2026-05-05T11:00:00+02:00", appointment_id="A1"))
    engine.ingest(*appointment("A2", "2026-05-06"))
    engine.ingest(fact("A2-a", "appointment.anomaly_declared", "2026-05-07T10:00:00+02:00",
                       appointment_id="A2", reason="hors cible"))
    assert "already" in engine.refusal(
        fact("A2-a2", "appointment.anomaly_declared", "2026-05-08T10:00:00+02:00", appointment_id="A2", reason="x"))


def test_termination_for_breach_waits_fifteen_days_after_the_formal_notice(engine: Engine) -> None:
    engine.ingest(client(), subscription(),
                  fact("n", "subscription.formal_notice_sent", "2026-06-01T10:00:00+02:00",
                       subscription_id="S1", reason="impayé"))
    error = engine.refusal(fact("t1", "subscription.terminated_for_breach", "2026-06-16T23:00:00+02:00",
                                subscription_id="S1"))
    assert "possible from 2026-06-17" in error and "CGPS art. 9" in error
    assert engine.ingest(fact("t2", "subscription.terminated_for_breach", "2026-06-17T09:00:00+02:00",
                              subscription_id="S1")).recorded == 1
    engine.advance(date(2026, 9, 30))
    assert [i["issued_on"] for i in engine.invoices()] == ["2026-05-04", "2026-06-04"]


def test_a_remedied_breach_cannot_lead_to_termination(engine: Engine) -> None:
    engine.ingest(client(), subscription(),
                  fact("n", "subscription.formal_notice_sent", "2026-06-01T10:00:00+02:00", subscription_id="S1", reason="x"),
                  fact("r", "subscription.breach_remedied", "2026-06-05T10:00:00+02:00", subscription_id="S1"))
    assert "formal notice" in engine.refusal(
        fact("t", "subscription.terminated_for_breach", "2026-06-30T09:00:00+02:00", subscription_id="S1"))


def test_option_rules(engine: Engine) -> None:
    opt = fact("o1", "subscription.option_activated", "2026-05-10T10:00:00+02:00", subscription_id="S1",
               option="multicanal", monthly_fee_ht="250.00")
    engine.ingest(client(), subscription(), opt)
    assert "already has the multicanal option" in engine.refusal({**opt, "key": "o2"})
    cancel = fact("oc", "subscription.option_cancellation_notified", "2026-05-20T10:00:00+02:00",
                  subscription_id="S1", option="multicanal")
    engine.ingest(cancel)
    assert "no active multicanal option" in engine.refusal({**cancel, "key": "oc2"})
    engine.advance(date(2026, 10, 31))
    # Billed from the échéance of 4 June for its three-period minimum: June, July, August.
    options = [i["issued_on"] for i in engine.invoices() if any(ln["code"] == "multicanal" for ln in i["lines"])]
    assert options == ["2026-06-04", "2026-07-04", "2026-08-04"]


def test_a_second_cancellation_is_refused_with_the_end_date(engine: Engine) -> None:
    cancel = fact("c", "subscription.cancellation_notified", "2026-05-10T10:00:00+02:00", subscription_id="S1")
    engine.ingest(client(), subscription(), cancel)
    assert "ends on 2026-08-04" in engine.refusal({**cancel, "key": "c2"})


def test_terms_named_by_a_fact_must_exist_and_be_the_providers(engine: Engine) -> None:
    engine.ingest({**client(), "at": "2025-12-01T09:00:00+01:00"})
    assert "unknown terms version 'CGPS-NOPE'" in engine.refusal(subscription(terms="CGPS-NOPE"))
    assert "etincelle's" in engine.refusal(subscription(terms="CGV-2025-09-02"))
    assert "no btbconnect terms version is in force on 2026-01-05" in engine.refusal(
        subscription(start="2026-01-05T09:00:00+01:00"))


def test_suspension_for_breach_stops_fees_until_the_breach_is_remedied(engine: Engine) -> None:
    engine.ingest(client(), subscription(),
                  fact("n", "subscription.formal_notice_sent", "2026-06-01T10:00:00+02:00", subscription_id="S1", reason="impayé"))
    early = fact("s1", "subscription.suspended_for_breach", "2026-06-16T10:00:00+02:00", subscription_id="S1")
    assert "suspension is possible from 2026-06-17" in engine.refusal(early)
    engine.ingest(fact("s2", "subscription.suspended_for_breach", "2026-06-20T10:00:00+02:00", subscription_id="S1"))
    assert "suspended" in engine.refusal(appointment("A1", "2026-07-10")[0])
    engine.ingest(fact("r", "subscription.breach_remedied", "2026-08-10T10:00:00+02:00", subscription_id="S1"))
    engine.advance(date(2026, 9, 30))
    # Échéances 4 May, 4 June billed; 4 July and 4 August fall in the suspension; 4 September again.
    assert [i["issued_on"] for i in engine.invoices()] == ["2026-05-04", "2026-06-04", "2026-09-04"]


@pytest.mark.parametrize("batch", [3, 500])
def test_facts_saved_in_batches_are_judged_as_one_by_one(db_url: str, tmp_path, batch: int) -> None:
    from tests.test_btb_scenario import history
    from tests.test_etincelle_scenario import history as etincelle

    facts = [*history(), *etincelle()]
    facts += [facts[0], {**facts[1], "name": "Autre nom"}]  # a duplicate and a conflicting key
    one_by_one = Engine(f"sqlite:///{tmp_path / 'single.db'}")
    batched = Engine(db_url)
    try:
        single = one_by_one.ingest(*facts).as_dict()
        grouped = batched.ingest(*facts, batch=batch).as_dict()
        assert grouped["recorded"] == single["recorded"] and grouped["duplicates"] == single["duplicates"]
        assert sorted(r["key"] for r in grouped["refused"]) == sorted(r["key"] for r in single["refused"])
        one_by_one.advance(date(2026, 12, 31))
        batched.advance(date(2026, 12, 31))
        assert [(i["number"], i["lines"]) for i in batched.invoices()] == [(i["number"], i["lines"]) for i in one_by_one.invoices()]
    finally:
        one_by_one.close()
        batched.close()


def test_a_starter_pack_is_not_refunded_once_its_campaign_started(engine: Engine) -> None:
    engine.ingest(client(), fact("p", "starter_pack.ordered", "2026-05-02T09:00:00+02:00", pack_id="P", client_id="C1"))
    engine.advance(date(2026, 5, 31))
    cancel = fact("k", "invoice.cancelled", "2026-05-10T09:00:00+02:00", invoice="BTB-2026-00001", reason="refund")
    engine.ingest(fact("go", "starter_pack.campaign_started", "2026-05-05T09:00:00+02:00", pack_id="P"))
    assert "CGPS art. 3.3" in engine.refusal(cancel)
    assert engine.ingest({**cancel, "key": "k-before", "at": "2026-05-04T09:00:00+02:00"}).recorded == 1
