"""`billing explain`: where each line of a document came from — the facts (keys, types, business
times and the events they recorded), the terms version and article, the parameters, and the
arithmetic."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from domain.appointments import Appointment
from domain.documents import Line
from domain.errors import NotFound
from domain.ids import aggregate_id
from domain.issuing import IssuedDocument
from domain.money import fmt
from domain.records import FactRecord
from domain.subscriptions import Subscription
from domain.terms import BtbTerms
from domain.terms_catalog import TermsCatalog
from application.ledger import Ledger

def explain(ledger: Ledger, catalog: TermsCatalog, number: str, line_number: int | None = None) -> dict[str, Any]:
    doc = ledger.document(number)
    if doc is None:
        raise NotFound(f"no document {number!r} was issued")
    facts = facts_by_aggregate(ledger)
    lines = [(i, line) for i, line in enumerate(doc.lines, start=1) if line_number in (None, i)]
    if not lines:
        raise NotFound(f"{number} has {len(doc.lines)} line(s); there is no line {line_number}")
    return {"number": doc.number, "kind": doc.kind, "client_id": doc.client_id, "key": doc.key,
            "terms": doc.terms, "issued_on": doc.issued_on.isoformat(), "refers_to": refers_to(doc),
            "lines": [explain_line(i, line, doc, ledger, catalog, facts) for i, line in lines]}


def refers_to(doc: IssuedDocument) -> dict[str, str] | None:
    ref = doc.details.get("refers_to")
    return {"number": ref["number"], "issued_on": ref["issued_on"].isoformat()} if ref else None


def facts_by_aggregate(ledger: Ledger) -> dict[str, list[FactRecord]]:
    index: dict[str, list[FactRecord]] = defaultdict(list)
    for record in ledger.of_type(FactRecord):
        for event in record.events:
            index[event.split(":")[0]].append(record)
    return index


def explain_line(i: int, line: Line, doc: IssuedDocument, ledger: Ledger, catalog: TermsCatalog,
                 facts: dict[str, list[FactRecord]]) -> dict[str, Any]:
    return {"line": i, "code": line.code, "description": line.description, "terms": doc.terms,
            "article": line.article, "arithmetic": arithmetic(line),
            "parameters": parameters(line, doc, ledger, catalog),
            "sources": [source(ref, facts) for ref in line.sources]}


def arithmetic(line: Line) -> str:
    text = f"{line.quantity} × {fmt(line.unit_price)} = {fmt(line.total_ht)} HT"
    if line.vat:
        text += f"; TVA {line.vat_rate} % = {fmt(line.vat)}"
    return text + f"; TTC {fmt(line.total_ttc)}"


def source(ref: str, facts: dict[str, list[FactRecord]]) -> dict[str, Any]:
    kind, business_id = ref.split(":", 1)
    records = facts.get(str(aggregate_id(kind, business_id)), [])
    return {"ref": ref, "facts": [{"key": r.key, "type": r.type, "at": r.at.isoformat(), "events": r.events}
                                  for r in sorted(records, key=lambda r: (r.at, r.key))]}


def parameters(line: Line, doc: IssuedDocument, ledger: Ledger, catalog: TermsCatalog) -> dict[str, Any]:
    terms = catalog.get(doc.terms)
    params: dict[str, Any] = {"unit_price": fmt(line.unit_price), "vat_rate": str(line.vat_rate)}
    if isinstance(terms, BtbTerms) and line.code == "extra_appointments":
        plan = booked_plan(line, ledger)
        params |= {"plan": plan, "included_per_period": terms.plans[plan].included,
                   "extra_price": fmt(terms.plans[plan].extra_price),
                   "anomaly_window_jours_ouvrables": terms.validation.anomaly_window_jours_ouvrables,
                   "appointments": [appointment_view(ledger, ref, terms) for ref in line.sources]}
    if isinstance(terms, BtbTerms) and line.code == "prepayment_discount":
        params["discount_percent"] = str(terms.prepayment.discount_percent)
    if line.code in ("session", "absence", "late_cancellation"):
        params |= {"hours": str(line.quantity), "hourly_rate": fmt(line.unit_price), "sap_eligible": line.eligible}
    return params


def booked_plan(line: Line, ledger: Ledger) -> str:
    """The plan (CGPS art. 4.1) of the subscription the line's appointments were booked on: a
    subscription keeps its plan, and a line bills the extras of one subscription."""
    appt: Appointment = ledger.aggregates[Appointment.id_for(line.sources[0].split(":", 1)[1])]
    return ledger.aggregates[Subscription.id_for(appt.subscription_id)].plan


def appointment_view(ledger: Ledger, ref: str, terms: BtbTerms) -> dict[str, Any]:
    appt: Appointment = ledger.aggregates[Appointment.id_for(ref.split(":", 1)[1])]
    validated = appt.validated_at(terms)
    return {"appointment_id": appt.appointment_id, "starts_at": appt.starts_at.isoformat(),
            "honoured_at": appt.honoured_at.isoformat() if appt.honoured_at else None,
            "validated_at": validated.isoformat() if validated else None}
