"""Who the documents name (issue 13, point 2; INTERPRETATION.md "Who issues and who receives"):
a client's address, email and SIREN on `client.registered`, changed by `client.details_changed`
from its `at` on whatever the arrival order, validated (python-stdnum for the SIREN) and refused
with the field named; on both backends."""

from __future__ import annotations

from datetime import datetime, timezone

from domain.clients import Client
from tests.services import Engine
from tests.test_ingest_rules import fact

GAP = {"line1": "Camp de base, Place du Rochasson", "postal_code": "05000", "city": "Gap"}
LYON = {"line1": "3 rue de la République", "postal_code": "69001", "city": "Lyon"}


def registered(**extra: object) -> dict:
    return fact("reg-B1", "client.registered", "2026-05-01T09:00:00+02:00", client_id="B1", provider="btbconnect",
                name="Cabinet Alpha", **extra)


def changed(key: str, at: str, **changes: object) -> dict:
    return fact(key, "client.details_changed", at, client_id="B1", **changes)


def identity(engine: Engine, day: str) -> dict:
    client = engine.app.repository.get(Client.id_for("B1"))
    return client.identity_at(datetime.fromisoformat(f"{day}T12:00:00+00:00").astimezone(timezone.utc))


def test_details_given_at_registration_are_kept(engine: Engine) -> None:
    assert engine.ingest(registered(address=GAP, email="compta@alpha.fr", siren="928030329")).recorded == 1
    assert identity(engine, "2026-05-02") == {"name": "Cabinet Alpha", "email": "compta@alpha.fr",
                                              "siren": "928030329", "address": {**GAP, "country": "FR"}}


def test_a_change_holds_from_its_business_time_whatever_the_arrival_order(engine: Engine) -> None:
    engine.ingest(registered(address=GAP))
    later = changed("move-2", "2026-09-01T09:00:00+02:00", name="Alpha Conseil")
    earlier = changed("move-1", "2026-07-01T09:00:00+02:00", address=LYON, email="a@alpha.fr")
    assert engine.ingest(later, earlier).recorded == 2  # the later change arrives first
    assert identity(engine, "2026-06-30") == {"name": "Cabinet Alpha", "address": {**GAP, "country": "FR"}}
    assert identity(engine, "2026-07-02") == {"name": "Cabinet Alpha", "email": "a@alpha.fr",
                                              "address": {**LYON, "country": "FR"}}
    assert identity(engine, "2026-09-02")["name"] == "Alpha Conseil"


def test_bad_details_are_refused_by_field(engine: Engine) -> None:
    refusals = {
        "siren": registered(siren="123456789"),  # 12345678 has the Luhn check digit 2, not 9
        "address": registered(address={**GAP, "postal_code": "5000"}),
        "email": registered(email="compta.alpha.fr"),
    }
    for field, bad in refusals.items():
        assert f"field '{field}" in engine.refusal(bad)
    engine.ingest(registered())
    assert "nothing to change" in engine.refusal(changed("none", "2026-06-01T09:00:00+02:00"))
    assert "client.registered" in engine.refusal(changed("early", "2026-04-01T09:00:00+02:00", name="X"))
    assert "comes before it" in engine.refusal(changed("early", "2026-04-01T09:00:00+02:00", name="X"))


def test_a_consumer_has_no_siren(engine: Engine) -> None:
    engine.ingest(fact("reg-E1", "client.registered", "2026-01-02T09:00:00+01:00", client_id="E1",
                       provider="etincelle", name="Famille Martin", adult=True, invoicing="per_session"))
    refusal = engine.refusal(fact("s", "client.details_changed", "2026-02-01T09:00:00+01:00", client_id="E1",
                                  siren="928030329"))
    assert "btbconnect" in refusal and "SIREN" in refusal
