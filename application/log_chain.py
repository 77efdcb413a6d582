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
from domain.log_seal import START, Head, LogSeal, link
from projections.store_reads import select_rows

PAGE = 2000


def rows_after(app: BillingApp, position: int) -> Iterator[Any]:
    while True:
        page = select_rows(app.recorder, position, PAGE, ())
        yield from page
        if len(page) < PAGE:
            return
        position = page[-1].id


def extend(head: Head, row: Any, key: bytes | None) -> Head:
    return Head(row.id, head.count + 1, link(head.head, str(row.originator_id), row.originator_version, row.topic,
                                             bytes(row.state), key))


def stored_seal(app: BillingApp) -> LogSeal | None:
    try:
        return app.repository.get(LogSeal.id_for())
    except AggregateNotFoundError:
        return None


def seal_log(app: BillingApp, key: bytes | None, at: datetime, recorded_at: datetime) -> Head:
    """Extends the last seal over what was recorded since, and records the new head; a run that
    seals at the same moment wins, this one leaves it (the next run seals what follows)."""
    stamp = Stamp(at, recorded_at)
    seal = stored_seal(app) or LogSeal.open(stamp)
    head = seal.last
    for row in rows_after(app, head.position):
        head = extend(head, row, key)
    seal.seal(head, key is not None, stamp)
    try:
        app.save(seal)
    except IntegrityError:
        pass
    return head


@dataclass
class LogCheck:
    """The one pass of `billing verify` over the log."""

    key: bytes | None
    seals: list[tuple[Head, bool]]
    findings: list[Finding] = field(default_factory=list)
    versions: dict[Any, int] = field(default_factory=dict)
    head: Head = START

    def run(self, rows: Iterator[Any]) -> Head:
        pending = list(self.seals)
        for row in rows:
            while pending and pending[0][0].position < row.id:
                self._compare(*pending.pop(0))
            self._check_version(row)
            self.head = extend(self.head, row, self.key)
        for seal, keyed in pending:
            self._compare(seal, keyed)
        return self.head

    def _check_version(self, row: Any) -> None:
        last = self.versions.get(row.originator_id, 0)
        if row.originator_version > last + 1:
            self.findings.append(Finding("missing", str(row.originator_id), f"versions {last + 1}.."
                                            f"{row.originator_version - 1} of this aggregate are not in the log"))
        elif row.originator_version <= last:
            self.findings.append(Finding("reordered", str(row.originator_id), f"version {row.originator_version} "
                                            f"comes after version {last} in the log"))
        self.versions[row.originator_id] = max(last, row.originator_version)

    def _compare(self, seal: Head, keyed: bool) -> None:
        finding = self._mismatch(seal, keyed)
        if finding is not None:
            self.findings.append(finding)
            # The next seal is judged on the events between the two only.
            self.head = Head(self.head.position, seal.count, seal.head)

    def _mismatch(self, seal: Head, keyed: bool) -> Finding | None:
        where = f"seal at {seal.position}"
        if keyed and self.key is None:
            return Finding("unverifiable", where, "the seal is keyed: set BILLING_LOG_KEY to check it")
        if self.head.count != seal.count:
            kind = "missing" if self.head.count < seal.count else "added"
            return Finding(kind, where, f"{seal.count} events were sealed up to there; the log now holds "
                              f"{self.head.count}")
        if self.head.head != seal.head:
            return Finding("altered", where, "an event recorded before it was changed or moved: the chain no "
                              "longer reaches the sealed head")
        return None


def check_log(app: BillingApp, key: bytes | None, expect: Head | None = None) -> tuple[list[Finding], Head]:
    """The findings of one pass over the log, and the head it ends on; `expect`: an anchor kept
    outside, judged like a seal (a mismatch there is `unanchored`)."""
    seal = stored_seal(app)
    seals = list(seal.heads) if seal else []
    if expect is not None:
        seals = sorted([*seals, (expect, key is not None)], key=lambda s: s[0].position)
    check = LogCheck(key, seals)
    head = check.run(rows_after(app, 0))
    return [unanchored(f) if expect and f.number == f"seal at {expect.position}" else f for f in check.findings], head


def unanchored(finding: Finding) -> Finding:
    return Finding("unanchored", finding.number.replace("seal", "anchor"), f"the anchor kept outside does not "
                      f"match: {finding.detail}")
