"""`billing verify`: has anything been rewritten? The log's own chain first
(application/log_chain.py), then the documents:

1. The hash chain: each issued document's hash covers its content and the previous document's
   hash; a document altered in the store no longer matches it.
2. The numbering: every number the sequence took has its document.
3. Drift: each document is recomputed from the facts known when it was issued, under the
   version it names; it must come out identical (a code change that alters billing shows here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from application.advance import all_drafts
from application.findings import Finding
from domain.corrections import corrections
from domain.documents import Draft
from domain.issuing import GENESIS, DocumentSequence, IssuedDocument
from domain.terms_catalog import TermsCatalog
from application.ledger import Ledger


def sequence_order(doc: IssuedDocument) -> tuple:
    _, year, n = doc.number.rsplit("-", 2)
    return (doc.provider, int(year), int(n))


def chain_findings(documents: list[IssuedDocument]) -> list[Finding]:
    findings, previous = [], {}
    for doc in sorted(documents, key=sequence_order):
        expected_previous = previous.get(doc.provider, GENESIS)
        if doc.previous_hash != expected_previous:
            findings.append(Finding("chain_broken", doc.number, "its previous hash is not the hash of the "
                                    "document issued before it: a document was removed or replaced"))
        if doc.content_hash() != doc.hash:
            findings.append(Finding("altered", doc.number, "its stored content no longer matches its hash"))
        previous[doc.provider] = doc.hash
    return findings


def sequence_findings(documents: list[IssuedDocument], sequences: list[DocumentSequence]) -> list[Finding]:
    """Every number a sequence took stands for a document: one deleted leaves a hole (the last one
    too: the sequence still says it was taken)."""
    present = {d.number for d in documents}
    return [Finding("missing", number, "the sequence numbered it; no such document is in the log")
            for seq in sequences for year, last in sorted(seq.last_numbers.items())
            for number in (f"{seq.prefix}-{year}-{n:05d}" for n in range(1, last + 1)) if number not in present]


def drift_findings(
    documents: list[IssuedDocument], catalog: TermsCatalog, ledger_at: Callable[[datetime], Ledger],
) -> list[Finding]:
    """Recomputes the documents of each issuing run from the facts known at that run."""
    runs: dict[datetime, list[IssuedDocument]] = defaultdict(list)
    for doc in documents:
        runs[doc.run_at].append(doc)
    findings = []
    for _, issued in sorted(runs.items()):
        known = ledger_at(max(d.created_on for d in issued))
        started = min(d.created_on for d in issued)
        earlier = [d for d in known.documents() if d.created_on < started]
        wanted = run_drafts(issued, known, earlier, catalog)
        for doc in issued:
            findings += compare(doc, expected(doc, wanted))
    return findings


def run_drafts(issued: list[IssuedDocument], known: Ledger, earlier: list[IssuedDocument],
               catalog: TermsCatalog) -> dict[str, Draft]:
    """What the run that issued these documents should have computed, by key: the drafts, and the
    corrections of the documents issued before it, each computed once for the whole run (a
    draft's content does not depend on the horizon it is asked up to)."""
    horizon = max(d.due_on for d in [*issued, *earlier])
    drafts = {d.key: d for d in all_drafts(known, catalog.get, horizon)}
    if not any("corrects" in d.details for d in issued):
        return drafts
    return drafts | {d.key: d for d in corrections(earlier, drafts, known.cancelled(), horizon)}


def expected(doc: IssuedDocument, wanted: dict[str, Draft]) -> Draft | None:
    """The draft the run should have issued as `doc`: for a new document, one due by its date."""
    if doc.key.startswith("penalty:"):
        return None
    draft = wanted.get(doc.key)
    if draft is None or "corrects" in doc.details or draft.due_on <= doc.due_on:
        return draft
    return None


def compare(doc: IssuedDocument, draft) -> list[Finding]:
    if doc.key.startswith("penalty:"):
        return []
    if draft is None:
        return [Finding("drift", doc.number, f"the facts known at issue no longer call for {doc.key}")]
    if [line.as_dict() for line in draft.lines] != [line.as_dict() for line in doc.lines] \
            or (draft.kind, draft.client_id, draft.terms) != (doc.kind, doc.client_id, doc.terms):
        return [Finding("drift", doc.number, f"recomputed from the facts known at issue, {doc.key} differs")]
    return []
