"""The event log's hash chain (domain/log_seal.py): sealing what was recorded since the last seal,
and checking the whole log in one pass for `billing verify`.

The key of a keyed chain (`BILLING_LOG_KEY`, base64 of 32 bytes) reaches here as bytes, from the
entry point. Findings by kind: `altered` (the chain no longer reaches a sealed head), `missing`
(fewer events than sealed, or a version of an aggregate absent), `added` (more events than
sealed), `reordered` (an aggregate's versions out of order in the log), `unverifiable` (seals
keyed, no key given), `unanchored` (an anchor kept outside does not match)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.app import BillingApp
from application.findings import Finding
from domain.base import Stamp
from application.log_owners import RECORD_TOPIC, Earlier, Owners
from domain.log_seal import START, Anchor, Head, LogSeal, Seal, link, stored
from projections.store_reads import select_rows

PAGE = 2000


def rows_after(app: BillingApp, position: int) -> Iterator[Any]:
    while True:
        page = select_rows(app.recorder, position, PAGE, ())
        yield from page
        if len(page) < PAGE:
            return
        position = page[-1].id


def extend(head: Head, row: Any, key: bytes | None, event: bytes | None = None) -> Head:
    """`event`: the row as `stored` gives it, when already computed for another chain."""
    event = event if event is not None else stored(str(row.originator_id), row.originator_version, row.topic,
                                                   bytes(row.state))
    return Head(row.id, head.count + 1, link(head.head, event, key))


@dataclass
class Chains:
    """The whole log's chain and each owner's chain (application/log_owners.py), extended row by row."""

    key: bytes | None
    owners: Owners
    head: Head = START
    chains: dict[str, Head] = field(default_factory=dict)

    def extend(self, row: Any) -> None:
        event = stored(str(row.originator_id), row.originator_version, row.topic, bytes(row.state))
        if row.id > self.head.position:  # a pass that starts the chains earlier than the log's head
            self.head = extend(self.head, row, self.key, event)
        owner = self.owners.of(row)
        self.chains[owner] = extend(self.chains.get(owner, START), row, self.key, event)

    def at(self, position: int) -> dict[str, Head]:
        """Each chain's head as a seal at `position` records it."""
        return {name: Head(position, h.count, h.head) for name, h in self.chains.items()}


def stored_seal(app: BillingApp) -> LogSeal | None:
    try:
        return app.repository.get(LogSeal.id_for())
    except AggregateNotFoundError:
        return None


def sealed_before(app: BillingApp) -> set[Any]:
    """The aggregates the next seal meets again without their first event (created before the
    last seal): the seal is told their owners (`earlier`) rather than reading all of them."""
    seal = stored_seal(app)
    last = seal.last if seal else Seal(START, False, {})
    start = last.head.position if last.chains or last.head == START else 0
    return {row.originator_id for row in rows_after(app, start)
            if row.originator_version > 1 and row.topic != RECORD_TOPIC}


def seal_log(app: BillingApp, key: bytes | None, at: datetime, recorded_at: datetime,
             earlier: Earlier = lambda _: None) -> Head:
    """Extends the last seal over what was recorded since, and records the new heads; a run that
    seals at the same moment wins, this one leaves it (the next run seals what follows).
    `earlier`: the owner of an aggregate created before the last seal (a folded ledger knows). A
    last seal from before per-provider chains is followed by a pass over the whole log."""
    stamp = Stamp(at, recorded_at)
    seal = stored_seal(app) or LogSeal.open(stamp)
    last = seal.last
    chains = Chains(key, Owners(app.mapper, earlier), last.head, dict(last.chains))
    for row in rows_after(app, last.head.position if last.chains or last.head == START else 0):
        chains.extend(row)
    seal.seal(chains.head, key is not None, chains.at(chains.head.position), stamp)
    try:
        app.save(seal)
    except IntegrityError:
        pass
    return chains.head


@dataclass
class LogCheck:
    """The one pass of `billing verify` over the log."""

    chains: Chains
    seals: list[Seal]
    findings: list[Finding] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)

    def run(self, rows: Iterator[Any]) -> Head:
        pending = list(self.seals)
        for row in rows:
            while pending and pending[0].head.position < row.id:
                self._compare(pending.pop(0))
            self._check_version(row)
            self.chains.extend(row)
        for seal in pending:
            self._compare(seal)
        return self.chains.head

    def _check_version(self, row: Any) -> None:
        if row.topic == RECORD_TOPIC and row.originator_version == 1:
            return  # a fact's record is its one event: not kept (a third of the log); any later version shows
        key = row.originator_id.int  # an int is kept, not the UUID object around it (a fifth of this pass's memory)
        last = self.versions.get(key, 0)
        if row.originator_version > last + 1:
            self.findings.append(Finding("missing", str(row.originator_id), f"versions {last + 1}.."
                                            f"{row.originator_version - 1} of this aggregate are not in the log"))
        elif row.originator_version <= last:
            self.findings.append(Finding("reordered", str(row.originator_id), f"version {row.originator_version} "
                                            f"comes after version {last} in the log"))
        self.versions[key] = max(last, row.originator_version)

    def _compare(self, seal: Seal) -> None:
        where = f"{seal.name} at {seal.head.position}"
        if seal.keyed and self.chains.key is None:
            self.findings.append(Finding("unverifiable", where, "the seal is keyed: set BILLING_LOG_KEY to check it"))
            return
        finding = mismatch(self.chains.head, seal.head, where) if seal.head.count >= 0 else None
        if finding is not None:
            self.findings.append(finding)
            # The next seal is judged on the events between the two only.
            self.chains.head = Head(self.chains.head.position, seal.head.count, seal.head.head)
        for name, sealed in sorted(seal.chains.items()):
            self._compare_chain(name, sealed, f"{where} ({name})")

    def _compare_chain(self, name: str, sealed: Head, where: str) -> None:
        finding = mismatch(self.chains.chains.get(name, START), sealed, where)
        if finding is not None:
            self.findings.append(finding)
            self.chains.chains[name] = sealed


def mismatch(head: Head, seal: Head, where: str) -> Finding | None:
    if head.count != seal.count:
        kind = "missing" if head.count < seal.count else "added"
        return Finding(kind, where, f"{seal.count} events were sealed up to there; the log now holds {head.count}")
    if head.head != seal.head:
        return Finding("altered", where, "an event recorded before it was changed or moved: the chain no "
                          "longer reaches the sealed head")
    return None


def check_log(app: BillingApp, key: bytes | None, anchors: list[Anchor] = ()) -> tuple[list[Finding], list[Anchor]]:
    """The findings of one pass over the log, and the anchors it ends on (the whole log's first,
    then each chain's); `anchors`: heads kept outside, judged like seals (a mismatch is `unanchored`)."""
    seal = stored_seal(app)
    seals = [*(seal.heads if seal else []), *(anchor_seal(a, key) for a in anchors)]
    check = LogCheck(Chains(key, Owners(app.mapper)), sorted(seals, key=lambda s: s.head.position))
    head = check.run(rows_after(app, 0))
    findings = [unanchored(f) if f.number.startswith("anchor") else f for f in check.findings]
    return findings, [Anchor(None, head), *(Anchor(n, h) for n, h in sorted(check.chains.at(head.position).items()))]


def anchor_seal(anchor: Anchor, key: bytes | None) -> Seal:
    """An anchor as a seal: of the whole log, or of one chain only (the whole log's head then is
    the one the pass reaches, so it is never a finding)."""
    if anchor.chain is None:
        return Seal(anchor.head, key is not None, {}, "anchor")
    return Seal(Head(anchor.head.position, -1, ""), key is not None, {anchor.chain: anchor.head}, "anchor")


def unanchored(finding: Finding) -> Finding:
    return Finding("unanchored", finding.number, f"the anchor kept outside does not match: {finding.detail}")
