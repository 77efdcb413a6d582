"""Each client's account: what its documents made owed, by whom, and the payments applied,
as of a business moment (URSSAF's deemed payouts included once due)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from domain.allocation import Account, Due, Settlement, allocate
from domain.calendar import start_of_day
from domain.dues import document_dues
from domain.issuing import IssuedDocument
from domain.records import Payment
from domain.sessions import TutoringSession
from domain.terms import EtincelleTerms
from domain.terms_catalog import TermsCatalog
from domain.urssaf_requests import UrssafRequest
from domain.urssaf_timeline import RequestTimeline, request_timeline
from application.ledger import Ledger


def timeline_of(ledger: Ledger, catalog: TermsCatalog, doc: IssuedDocument) -> RequestTimeline | None:
    info = doc.details.get("avance_immediate")
    if not info:
        return None
    terms = catalog.get(doc.terms)
    assert isinstance(terms, EtincelleTerms)
    sessions = [ledger.aggregates[TutoringSession.id_for(source.split(":", 1)[1])]
                for line in doc.lines if line.eligible for source in line.sources]
    answer = ledger.aggregates.get(UrssafRequest.id_for(doc.number))
    return request_timeline(doc.number, info, doc.issued_on, sessions, answer, terms)


Clients = set[str] | frozenset[str] | None  # some clients only, or None for all
Timelines = dict[str, "RequestTimeline | None"]  # document number → its URSSAF request's timeline


def document_timelines(ledger: Ledger, catalog: TermsCatalog) -> Timelines:
    """Every document's timeline, for reads of one ledger as of many moments."""
    return {doc.number: timeline_of(ledger, catalog, doc) for doc in ledger.documents()}


def owed_and_settled(
    ledger: Ledger, catalog: TermsCatalog, as_of: datetime, provider: str | None = None,
    timelines: Timelines | None = None, only: Clients = None,
) -> tuple[dict[str, list[Due]], dict[str, list[Settlement]]]:
    dues: dict[str, list[Due]] = defaultdict(list)
    settlements: dict[str, list[Settlement]] = defaultdict(list)
    for doc in ledger.documents(lambda d: provider in (None, d.provider) and (only is None or d.client_id in only)):
        if start_of_day(doc.issued_on) > as_of:
            continue
        timeline = timeline_of(ledger, catalog, doc) if timelines is None else timelines[doc.number]
        owed, paid = document_dues(doc, timeline, as_of)
        dues[doc.client_id] += owed
        settlements[doc.client_id] += paid
    return dues, settlements


def dues_by_client(ledger: Ledger, catalog: TermsCatalog, as_of: datetime) -> dict[str, list[Due]]:
    return owed_and_settled(ledger, catalog, as_of)[0]


def client_accounts(
    ledger: Ledger, catalog: TermsCatalog, as_of: datetime, provider: str | None = None,
    timelines: Timelines | None = None, only: Clients = None,
) -> dict[str, Account]:
    """Every client's account, or those of one provider's clients; with `only`, of those clients."""
    dues, settlements = allocation_inputs(ledger, catalog, as_of, provider, timelines, only)
    clients = set(dues) | set(settlements)
    return {c: allocate(dues.get(c, []), settlements.get(c, [])) for c in clients}


def allocation_inputs(
    ledger: Ledger, catalog: TermsCatalog, as_of: datetime, provider: str | None = None,
    timelines: Timelines | None = None, only: Clients = None,
) -> tuple[dict[str, list[Due]], dict[str, list[Settlement]]]:
    """Per client, what its documents made owed and what settles it (payments included), as of
    a moment: what `allocate` is given."""
    dues, settlements = owed_and_settled(ledger, catalog, as_of, provider, timelines, only)
    theirs = None if provider is None else {c.client_id for c in ledger.clients(provider)}
    if only is not None:
        theirs = only if theirs is None else theirs & only
    for p in ledger.of_type(Payment):
        if p.at <= as_of and (theirs is None or p.client_id in theirs):
            settlements[p.client_id].append(
                Settlement(p.key, p.at, p.amount, p.invoice, p.kind == "failed",
                           direct_debit=p.method == "direct_debit"))
    return dues, settlements
