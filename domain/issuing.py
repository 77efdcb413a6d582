"""Issued documents and their numbering, continuous per provider and year.

A number is taken in the same transaction as the document it numbers: the sequence and the
documents are saved together, and a concurrent writer fails on the sequence's version.
"""

from __future__ import annotations

import hashlib
import json
import sys

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.calendar import start_of_day
from domain.documents import Draft, Line
from domain.errors import DocumentStateError
from domain.ids import aggregate_id
from domain.timeline import Mark


Parties = Callable[[Draft, date], tuple[dict, dict]]


class IssuedDocument(BillingAggregate):
    class DocumentIssued(BillingAggregate.Created):
        key: str
        number: str
        kind: str
        provider: str
        client_id: str
        issued_on: date
        due_on: date
        terms: str
        lines: list
        notes: list
        details: dict
        previous_hash: str
        hash: str
        # Both parties as of the issue date (absent from documents issued before they were kept).
        seller: dict | None = None
        buyer: dict | None = None

        def apply(self, document: IssuedDocument) -> None:
            # A document exists from the start of its issue date, whenever the run issued it.
            document.origin = Mark(start_of_day(self.issued_on), f"document {self.number}", None)

    def __init__(
        self, key: str, number: str, kind: str, provider: str, client_id: str, issued_on: date,
        due_on: date, terms: str, lines: list, notes: list, details: dict, previous_hash: str,
        hash: str, at: datetime, seller: dict | None = None, buyer: dict | None = None,  # noqa: A002
    ):
        self.key = key
        self.number = number
        self.kind = kind
        self.provider = provider
        self.client_id = client_id
        self.issued_on = issued_on
        self.due_on = due_on
        self.terms = terms
        self.lines = [Line.from_dict(line) for line in lines]
        self.notes = [sys.intern(note) for note in notes]
        self.details = details
        self.previous_hash = previous_hash
        self.hash = hash
        self.run_at = at
        self.seller = seller
        self.buyer = buyer

    @property
    def content(self) -> dict:
        """What the hash covers, rebuilt from the stored values (lines keep their exact text)."""
        return {"key": self.key, "number": self.number, "kind": self.kind, "provider": self.provider,
                "client_id": self.client_id, "issued_on": self.issued_on, "due_on": self.due_on,
                "terms": self.terms, "lines": [line.as_record() for line in self.lines],
                "notes": self.notes, "details": self.details,
                **({"seller": self.seller, "buyer": self.buyer} if self.seller is not None else {})}

    def content_hash(self) -> str:
        """The hash its stored content gives now; differs from `hash` if the row was altered."""
        return document_hash(self.content, self.previous_hash)

    @staticmethod
    def id_for(number: str) -> UUID:
        return aggregate_id("document", number)

    @property
    def draft(self) -> Draft:
        return Draft(self.key, self.kind, self.provider, self.client_id, self.due_on, self.terms,
                     tuple(self.lines), tuple(self.notes), details=self.details)


class DocumentSequence(BillingAggregate):
    """One per provider: the last number of each year and the last issue date."""

    class SequenceOpened(BillingAggregate.Created):
        provider: str
        prefix: str

    class NumbersTaken(BillingAggregate.Event):
        year: int
        last: int
        issued_on: date

        last_hash: str

        def apply(self, seq: DocumentSequence) -> None:
            seq.last_numbers[self.year] = self.last
            seq.last_issued_on = max(seq.last_issued_on or self.issued_on, self.issued_on)
            seq.last_hash = self.last_hash

    def __init__(self, provider: str, prefix: str, at: datetime):
        self.provider = provider
        self.prefix = prefix
        self.last_numbers: dict[int, int] = {}
        self.last_issued_on: date | None = None
        self.last_hash = GENESIS

    @staticmethod
    def id_for(provider: str) -> UUID:
        return aggregate_id("document_sequence", provider)

    @classmethod
    def open(cls, provider: str, prefix: str, at: datetime, recorded_at: datetime) -> DocumentSequence:
        return cls._create_at(cls.SequenceOpened, Stamp(at, recorded_at), id=cls.id_for(provider),
                              provider=provider, prefix=prefix)

    def issue_batch(
        self, drafts: list[Draft], at: datetime, recorded_at: datetime, parties: Parties,
    ) -> list[IssuedDocument]:
        """Numbers the drafts in order and issues them, never dated before the last issued
        document, so that numbers stay chronological; one event per year touched. `parties`:
        the seller and the buyer a draft's document names on its issue date."""
        last_numbers = dict(self.last_numbers)
        last_on, last_hash = self.last_issued_on, self.last_hash
        documents = []
        for draft in drafts:
            issued_on = max(draft.due_on, last_on or draft.due_on)
            last_numbers[issued_on.year] = last_numbers.get(issued_on.year, 0) + 1
            last_on = issued_on
            number = f"{self.prefix}-{issued_on.year}-{last_numbers[issued_on.year]:05d}"
            documents.append(_issued(draft, number, issued_on, last_hash, at, recorded_at, parties(draft, issued_on)))
            last_hash = documents[-1].hash
        for year in sorted({d.issued_on.year for d in documents}):
            issued_on = max(d.issued_on for d in documents if d.issued_on.year == year)
            self.record(self.NumbersTaken, Stamp(at, recorded_at), year=year, last=last_numbers[year],
                        issued_on=issued_on, last_hash=last_hash)
        return documents


def _issued(
    draft: Draft, number: str, issued_on: date, previous_hash: str, at: datetime, recorded_at: datetime,
    parties: tuple[dict, dict],
) -> IssuedDocument:
    content = {"key": draft.key, "number": number, "kind": draft.kind, "provider": draft.provider,
               "client_id": draft.client_id, "issued_on": issued_on,
               "due_on": issued_on + timedelta(days=draft.payment_days), "terms": draft.terms,
               "lines": [line.as_record() for line in draft.lines], "notes": list(draft.notes),
               "details": draft.details, "seller": parties[0], "buyer": parties[1]}
    return IssuedDocument._create_at(
        IssuedDocument.DocumentIssued, Stamp(at, recorded_at), id=IssuedDocument.id_for(number),
        previous_hash=previous_hash, hash=document_hash(content, previous_hash), **content,
    )


GENESIS = "0" * 64


def document_hash(content: dict, previous_hash: str) -> str:
    """Each document's hash covers its content and the previous document's hash (a chain per
    provider), so an issued document altered in the store is found by `billing verify`."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((previous_hash + canonical).encode("utf-8")).hexdigest()


class DocumentCancellation(BillingAggregate):
    """An invoice issued in error (fact invoice.cancelled): the next run credits it in full."""

    class InvoiceCancelled(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "invoice.cancelled"
        number: str
        key: str
        reason: str

    def __init__(self, number: str, key: str, reason: str, at: datetime):
        self.number = number
        self.key = key
        self.reason = reason

    @staticmethod
    def id_for(number: str) -> UUID:
        return aggregate_id("document_cancellation", number)

    @classmethod
    def cancel(cls, document: IssuedDocument, reason: str, stamp: Stamp) -> DocumentCancellation:
        if document.kind != "invoice" or "corrects" in document.details:
            raise DocumentStateError(
                f"{document.number} is a {document.kind.replace('_', ' ')} correcting another document; "
                "cancel the original invoice instead"
            )
        return cls._create_at(cls.InvoiceCancelled, stamp, id=cls.id_for(document.number),
                              number=document.number, key=document.key, reason=reason)
