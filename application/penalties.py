"""`billing penalties invoice`: issues, when the provider asks, the penalties accrued by a
client's late invoices (interest since the last penalty invoice, and the fee once each)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from application.app import BillingApp
from application.issuer import Issuer
from domain.calendar import end_of_day
from domain.documents import Draft
from domain.errors import NotFound
from domain.identities import ProviderIdentities
from domain.issuing import IssuedDocument
from domain.penalties import RateTable
from domain.penalty_billing import penalty_draft
from domain.terms_catalog import TermsCatalog
from application.ledger import Ledger
from application.books.penalties import fees_invoiced, interest_invoiced, late_documents


class PenaltyService:
    def __init__(self, app: BillingApp, catalog: TermsCatalog, ecb: RateTable, clock: Callable[[], datetime],
                 identities: ProviderIdentities):
        self.app = app
        self.identities = identities
        self.catalog = catalog
        self.ecb = ecb
        self.clock = clock

    def invoice(self, client_id: str, as_of: date) -> IssuedDocument | None:
        documents = Issuer(self.app, self.clock, self.identities).issue(lambda ledger: self._drafts(ledger, client_id, as_of),
                                                       end_of_day(as_of))
        return documents[0] if documents else None

    def _drafts(self, ledger: Ledger, client_id: str, as_of: date) -> list[Draft]:
        if not any(c.client_id == client_id for c in ledger.clients()):
            raise NotFound(f"no client {client_id!r} is recorded")
        late = late_documents(ledger, self.catalog, self.ecb, client_id, as_of)
        if not late:
            return []
        terms = self.catalog.get(late[-1][0].terms)
        draft = penalty_draft(client_id, late, interest_invoiced(ledger, client_id),
                              fees_invoiced(ledger, client_id), terms, as_of)
        return [] if draft is None or draft.key in ledger.issued_keys() else [draft]
