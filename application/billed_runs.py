"""What a one-shot `billing advance` billed, so that the next one to the same date drafts only the
clients something was recorded about since (issue 17).

Billing is a function of the facts, the terms, the engine and the date: a run that issued every
document due by `to` leaves nothing due by `to` (or before) for a client whose aggregates have no
event since the run read the log, under the same terms and engine. The events the run wrote
itself (its documents, attestations, URSSAF exchanges and seal) are the outcome of that function,
not new input: they are told apart by their positions in the log. Anything else after `start`
(a fact, a document issued by another command, URSSAF's answers recorded by another process)
makes its client drafted again. URSSAF's clients are always followed again: URSSAF's side moves
without any event of ours.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from application.advance_parts import PartDrafts, providers_of, urssaf_clients
from application.ledger import Ledger

Span = tuple[int, int]  # first and last position of a run of consecutive positions


@dataclass(frozen=True)
class BilledRun:
    """A run that issued everything due by `to` from what the log held at `start`, under
    `digest` (the terms, the identities and the engine); `own`: the positions it wrote."""

    to: date
    digest: str
    start: int
    own: tuple[Span, ...] = ()
    urssaf: tuple[str, ...] = ()  # the clients URSSAF's exchanges concern (application/advance_parts.py)
    providers: dict[str, str] = field(default_factory=dict)  # every client's, for the log's seal

    def covers(self, to: date, digest: str, head: int) -> bool:
        """True if a run to `to` may start from this one: same digest, billed at least as far,
        and the log still holds what it read (a store restored from an older copy does not)."""
        return self.digest == digest and self.to >= to and self.start <= head

    def is_own(self, position: int) -> bool:
        index = bisect_right(self.own, (position, float("inf"))) - 1
        return index >= 0 and self.own[index][0] <= position <= self.own[index][1]

    def changed_clients(self, written: Iterable[tuple[int, Any]], owner: Callable[[Any], str | None]) -> set[str]:
        """The clients of the events written after `start` by anyone but this run: (position,
        aggregate id) pairs; `owner`: an aggregate's client, None for one of no client."""
        return {client for position, aggregate in written
                if not self.is_own(position) and (client := owner(aggregate)) is not None}

    def carried(self, drafted: set[str]) -> PartDrafts:
        """What the clients not drafted again bring to this run: URSSAF's exchanges, providers."""
        return PartDrafts(providers={c: p for c, p in self.providers.items() if c not in drafted},
                          urssaf=[c for c in self.urssaf if c not in drafted])

    def as_dict(self) -> dict:
        return {"to": self.to.isoformat(), "digest": self.digest, "start": self.start, "own": [list(s) for s in self.own],
                "urssaf": list(self.urssaf), "providers": self.providers}

    @classmethod
    def from_dict(cls, data: dict) -> BilledRun:
        return cls(date.fromisoformat(data["to"]), data["digest"], data["start"], tuple(map(tuple, data["own"])),
                   tuple(data["urssaf"]), data["providers"])


def billed_run(to: date, digest: str, start: int, own: Iterable[int], parts: Sequence[PartDrafts]) -> BilledRun:
    """The record of a run that drafted `parts` (those it carried included) and wrote `own`."""
    urssaf = sorted({c for part in parts for c in part.urssaf})
    return BilledRun(to, digest, start, spans(own), tuple(urssaf), providers_of(parts))


def billed_by_ledger(to: date, digest: str, start: int, own: Iterable[int], ledger: Ledger) -> BilledRun:
    """The record of a run that folded every client (the scheduler's kept ledger) and issued
    everything due by `to`: nothing of it is left drafted."""
    clients = ledger.clients()
    return BilledRun(to, digest, start, spans(own), tuple(sorted(urssaf_clients(ledger, ()))),
                     {c.client_id: c.provider for c in clients})


def spans(positions: Iterable[int]) -> tuple[Span, ...]:
    """The positions as runs of consecutive ones: a batch of inserts is one."""
    found: list[list[int]] = []
    for position in sorted(set(positions)):
        if found and found[-1][1] == position - 1:
            found[-1][1] = position
        else:
            found.append([position, position])
    return tuple((first, last) for first, last in found)

