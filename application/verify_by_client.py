"""`billing verify`'s document checks in bounded memory: the documents' chain and numbering from
one pass over their events, keeping a few fields of each; then drift client by client, each
recomputed from that client's events only, as known at each run (billing one client never needs
another client's facts). Memory follows the largest group of clients, not the log."""

from __future__ import annotations


import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.findings import Finding
from application.verify import chain_findings, drift_findings, sequence_findings
from domain.issuing import DocumentSequence, IssuedDocument
from domain.terms_catalog import TermsCatalog
from application.ledger import PAGE, Ledger, billing_topics
from application.progress import Progress, no_progress
from projections.store_reads import select_rows

ClientEvents = Callable[[Sequence[str]], dict[str, list[Any]]]  # client → its domain events, no fact records
GROUP = 50  # clients whose events are read at once


@dataclass(frozen=True, slots=True)
class DocumentMark:
    """What the chain and the numbering need of a document: its hashes as bytes, and whether its
    content, as read, still gives its hash (a sixth of the memory of the hex strings' objects)."""

    number: str
    provider: str
    client_id: str
    previous: bytes
    own: bytes
    intact: bool

    @property
    def previous_hash(self) -> str:
        return self.previous.hex()

    @property
    def hash(self) -> str:
        return self.own.hex()

    def content_hash(self) -> str:
        return self.hash if self.intact else ""


GroupFindings = list[tuple[int, list[Finding]]]  # (the group's first client's place, its drift findings)
DriftOf = Callable[[list[str], set[str]], GroupFindings]  # the clients, the documents found altered → drift


def document_findings_by_client(app: Any, catalog: TermsCatalog, client_events: ClientEvents,
                                progress: Progress = no_progress, drift: DriftOf | None = None) -> list[Finding]:
    """`drift`: how the clients' drift is checked (by default here, a group at a time; the command
    line may share the groups between processes)."""
    marks, sequences = document_marks(app)
    findings = chain_findings(marks) + sequence_findings(marks, sequences)
    altered = {f.number for f in findings}
    clients = sorted({m.client_id for m in marks})
    groups = drift(clients, altered) if drift else groups_drift(catalog, client_events, clients, altered,
                                                                progress=progress)
    progress(len(clients), len(clients))
    return findings + [f for _, found in sorted(groups, key=lambda group: group[0]) for f in found]


def groups_drift(catalog: TermsCatalog, client_events: ClientEvents, clients: list[str], altered: set[str],
                 share: tuple[int, int] = (0, 1), progress: Progress = no_progress) -> GroupFindings:
    """The drift of these clients' documents, GROUP clients at a time; with `share` (k, n), of
    the k-th of every n groups only."""
    taken, workers = share
    found = []
    for start in range(GROUP * taken, len(clients), GROUP * workers):
        progress(start, len(clients))
        events = client_events(clients[start:start + GROUP])
        found.append((start, [f for client_id in events for f in client_drift(events[client_id], catalog, altered)]))
    return found


def document_marks(app: Any) -> tuple[list[DocumentMark], list[DocumentSequence]]:
    sequences = Ledger()
    marks = []
    for event in issuing_events(app):
        if isinstance(event, IssuedDocument.DocumentIssued):
            doc = event.mutate(None)
            marks.append(DocumentMark(doc.number, sys.intern(doc.provider), sys.intern(doc.client_id),
                                      hash_bytes(doc.previous_hash), hash_bytes(doc.hash),
                                      doc.content_hash() == doc.hash))
        else:
            sequences.apply(event)
    return marks, list(sequences.of_type(DocumentSequence))


def hash_bytes(text: str) -> bytes:
    """A hash as its bytes; one that is not hex (written by hand) keeps a form that never matches."""
    try:
        return bytes.fromhex(text) if text == text.lower() else b"\xff" + text.encode()
    except ValueError:
        return b"\xff" + text.encode()


def issuing_events(app: Any) -> Iterator[Any]:
    topics = tuple(t for t in billing_topics() if t.startswith(("domain.issuing:IssuedDocument.",
                                                                "domain.issuing:DocumentSequence.")))
    position = 0
    while True:
        page = select_rows(app.recorder, position, PAGE, topics)
        for row in page:
            yield app.mapper.to_domain_event(row)
        if len(page) < PAGE:
            return
        position = page[-1].id


def client_drift(events: list[Any], catalog: TermsCatalog, altered: set[str]) -> list[Finding]:
    whole = Ledger(billing_topics())
    for event in events:
        whole.apply(event)
    documents = [d for d in whole.documents() if d.number not in altered]
    return drift_findings(documents, catalog, KnownOverTime(events).at) if documents else []


class KnownOverTime:
    """One client's ledger as known at successive recorded times (asked in order)."""

    def __init__(self, events: list[Any]) -> None:
        self.events = sorted(events, key=lambda e: (e.timestamp, e.originator_version))
        self.ledger = Ledger(billing_topics())
        self.applied = 0

    def at(self, known_at: datetime) -> Ledger:
        while self.applied < len(self.events) and self.events[self.applied].timestamp <= known_at:
            self.ledger.apply(self.events[self.applied])
            self.applied += 1
        return self.ledger


