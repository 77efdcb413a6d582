"""What a kept ledger says it touched (application/ledger.py, `Ledger.touched`): the clients
whose accounts may have changed since it last forgot. A kept service's attestations are worked
out again for those clients only (application/attesting.py), so a change it misses would leave
an attestation uncorrected; one it wrongly widens to everyone only costs time."""

from __future__ import annotations

from datetime import date, datetime, timezone

from application.advance import AdvanceService
from application.ledger import follow, read_ledger
from domain.urssaf_requests import UrssafRequest
from infrastructure.urssaf_simulator import UrssafSimulator
from tests.services import RECORDED_AT, Engine
from tests.test_etincelle_scenario import fact, history


def advanced_ledger(engine: Engine):
    engine.ingest(*history())
    AdvanceService(engine.ingest_service, lambda: RECORDED_AT, UrssafSimulator).advance(date(2026, 12, 31))
    ledger = read_ledger(engine.app, facts=False)
    ledger.forget_touched()
    return ledger


def test_an_urssaf_request_touches_its_invoice_s_client(engine: Engine) -> None:
    ledger = advanced_ledger(engine)
    request = next(iter(ledger.of_type(UrssafRequest)))
    client = ledger.document(request.invoice_number).client_id
    stored = engine.app.repository.get(request.id)
    stored.observe(111, datetime(2026, 12, 31, 12, tzinfo=timezone.utc), RECORDED_AT)  # cancelled by URSSAF
    engine.app.save(stored)
    follow(engine.app, ledger)
    assert (ledger.touched, ledger.all_touched) == ({client}, False)


def test_a_payment_touches_its_client_and_numbering_touches_only_the_documents_clients(engine: Engine) -> None:
    ledger = advanced_ledger(engine)
    engine.ingest(fact("mon-rest", "payment.received", "2026-12-20T10:00:00+01:00", client_id="E-MON",
                       amount="60.00", method="transfer", invoice="ETS-2026-00009"))
    follow(engine.app, ledger)
    assert (ledger.touched, ledger.all_touched) == ({"E-MON"}, False)
    ledger.forget_touched()
    # A run that issues nothing still numbers nothing and seals the log: neither touches a client.
    AdvanceService(engine.ingest_service, lambda: RECORDED_AT, UrssafSimulator).advance(date(2026, 12, 31))
    follow(engine.app, ledger)
    assert (ledger.touched, ledger.all_touched) == (set(), False)
