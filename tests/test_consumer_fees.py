"""The 40 € recovery fee is never claimed from a consumer (issue 13, point 5; INTERPRETATION.md;
C. com. L441-10, D441-5; C. proc. civ. d'exécution L111-8), on both backends: L'Étincelle's
clients owe the interest only, their invoices do not print the fee, and a penalty invoice issued
with such a fee is credited back on the next advance. BTBCONNECT's business clients still owe it
(tests/test_receivables.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from application.issuer import Issuer
from domain.calendar import end_of_day
from domain.penalty_billing import penalty_draft
from infrastructure.ecb_rates import load_ecb_rates
from application.ledger import read_ledger
from application.books.penalties import late_documents
from application.books.receivables import receivables
from tests.billing_cli import billing_json, jsonl
from tests.services import Engine
from tests.test_etincelle_scenario import booked, client, held

AS_OF = date(2026, 3, 12)


def unpaid_session() -> list[dict]:
    """One session of 60 min at 40.00 held on 10 February 2026, invoiced that day, never paid."""
    return [client("E1", "per_session"), *booked("S1", "E1", "2026-02-10T17:00:00+01:00", 60, "40.00"),
            held("S1", "2026-02-10T18:00:00+01:00")]


def test_a_consumer_owes_the_interest_and_never_the_fee(db_url: str) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(unpaid_session()))
    billing_json("advance", "--to", "2026-02-28", db=db_url)
    (invoice,) = billing_json("invoices", db=db_url)
    assert not any("40 €" in note or "forfaitaire" in note for note in invoice["notes"])
    (row,) = billing_json("receivables", "--as-of", AS_OF.isoformat(), db=db_url)
    # CGV art. 9: 3 × 2.15 % (ECB on 1 January) + 10 = 16.45 %; 40.00 HT × 16.45 % × 30 days / 365
    # = 0.5408 → 0.54; no fee.
    assert (row["penalty_interest"], row["recovery_fees"], row["penalties"]) == ("0.54", "0.00", "0.54")
    penalty = billing_json("penalties", "invoice", "--client", "E1", "--as-of", AS_OF.isoformat(), db=db_url)
    assert [(ln["code"], ln["total_ttc"]) for ln in penalty["lines"]] == [("late_penalty", "0.54")]
    assert "indemnité forfaitaire" not in penalty["lines"][0]["mention"].lower()


def issue_with_the_fee(engine: Engine) -> str:
    """A penalty invoice as the engine issued it before this rule: interest and the 40.00 fee."""
    terms = engine.catalog.get("CGV-2025-09-02")
    as_written = terms.model_copy(update={"late_payment": terms.late_payment.model_copy(
        update={"consumer_clients": False})})

    def drafts(ledger):
        late = late_documents(ledger, engine.catalog, load_ecb_rates(), "E1", AS_OF)
        return [penalty_draft("E1", late, {}, set(), as_written, AS_OF)]

    clock = lambda: datetime(2026, 3, 12, 12, tzinfo=timezone.utc)  # noqa: E731
    (doc,) = Issuer(engine.app, clock, engine.identities).issue(drafts, end_of_day(AS_OF))
    assert [line.code for line in doc.lines] == ["late_penalty", "recovery_fee"]
    return doc.number


def test_a_fee_already_invoiced_to_a_consumer_is_credited_back(engine: Engine) -> None:
    engine.ingest(*unpaid_session())
    engine.advance(date(2026, 2, 28))
    number = issue_with_the_fee(engine)
    assert engine.advance(date(2026, 3, 31)) == ["ETS-2026-00003"]
    credit = read_ledger(engine.app).document("ETS-2026-00003")
    assert credit.kind == "credit_note" and credit.details["refers_to"]["number"] == number
    assert [(line.code, str(line.quantity), str(line.total_ttc)) for line in credit.lines] == [
        ("recovery_fee", "-1", "-40.00")]
    assert engine.advance(date(2026, 3, 31)) == []  # credited once
    (row,) = receivables(read_ledger(engine.app), engine.catalog, load_ecb_rates(), AS_OF)
    # accrued 0.54 + no fee, invoiced 0.54 + 40.00, credited back 40.00: nothing more is owed
    assert (row.fees, row.invoiced_penalties, row.as_dict()["penalties"]) == (0, Decimal("0.54"), "0.00")
