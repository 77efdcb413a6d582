"""`billing advance` by partitions of the clients (issue 17): each partition's clients are folded
and drafted apart, in bounded memory and in any process; the drafts of all partitions are then
numbered in one order, as one fold of the whole log would number them.

A client's partition is a stable hash of its id. Drafting needs two things beyond the client's
own facts, both read from the store before any partition is drafted: the last due date of all
issued documents (the horizon of the corrections) and each sequence's last issue date. With the
latter, a draft's issue date is known before it is numbered (domain/issuing.py: never before
the last issued document; the drafts are numbered in due-date order), and so is the buyer's
identity its document will carry (INTERPRETATION.md, "Who issues and who receives").
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.calendar import end_of_day
from domain.clients import Client
from domain.documents import Draft
from domain.identities import buyer
from domain.issuing import IssuedDocument
from domain.tax_attestations import first_issue_day
from domain.terms_catalog import TermsCatalog
from domain.urssaf_account import UrssafAccount
from application.advance import due_drafts
from application.client_folds import GROUP
from application.ledger import Ledger

CLIENTS_PER_PART = 200
MOST_PARTS = 64
ETINCELLE = "etincelle"  # the provider whose clients have attestations and URSSAF requests
Attest = Callable[[Ledger], list[str]]  # issues a group's due attestations; returns them ("client/year vN")


def part_count(clients: int, per_part: int = CLIENTS_PER_PART) -> int:
    """How many partitions `clients` clients are cut into: `per_part` clients each, about."""
    return max(1, min(MOST_PARTS, -(-clients // per_part)))


def part_of(client_id: str, parts: int) -> int:
    """The partition of a client: the same in every process and on every machine."""
    return zlib.crc32(client_id.encode("utf-8")) % parts


@dataclass(frozen=True)
class Drafted:
    """A document to issue, and the buyer it names on its issue date."""

    draft: Draft
    buyer: dict

    def order(self) -> tuple:
        return self.draft.due_on, self.draft.client_id, self.draft.key

    def as_dict(self) -> dict:
        return {"draft": self.draft.as_dict(), "buyer": self.buyer}

    @classmethod
    def from_dict(cls, data: dict) -> Drafted:
        return cls(Draft.from_dict(data["draft"]), data["buyer"])


@dataclass
class PartDrafts:
    """One partition's drafts in numbering order, and its clients' providers (the log's seal
    tells each chain's events by them); the attestations its drafting issued, and the clients of
    L'Étincelle left for after the issuing: those whose attestations wait for it, and those URSSAF's
    exchanges may concern."""

    drafted: list[Drafted] = field(default_factory=list)
    providers: dict[str, str] = field(default_factory=dict)
    attested: list[str] = field(default_factory=list)
    unattested: list[str] = field(default_factory=list)
    urssaf: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"drafted": [d.as_dict() for d in self.drafted], "providers": self.providers,
                "attested": self.attested, "unattested": self.unattested, "urssaf": self.urssaf}

    @classmethod
    def from_dict(cls, data: dict) -> PartDrafts:
        providers = data["providers"]
        everyone = sorted(c for c, p in providers.items() if p == ETINCELLE)  # kept by an earlier version
        return cls([Drafted.from_dict(d) for d in data["drafted"]], providers, data.get("attested", []),
                   data.get("unattested", everyone), data.get("urssaf", everyone))

    def after_issuing(self) -> set[str]:
        """The clients the issuing worker folds again once the drafts are numbered."""
        return {*self.unattested, *self.urssaf}


@dataclass(frozen=True)
class RunStart:
    """What every partition is drafted against: read once, before the first partition."""

    to: date
    horizon: date
    last_issued_on: dict[str, date | None]  # by provider
    versions: dict[str, int] = field(default_factory=dict)  # each sequence's, by provider

    def name(self, parts: int) -> str:
        """The same for every worker that starts from the same store state."""
        versions = ",".join(f"{p}:{v}" for p, v in sorted(self.versions.items()))
        return f"{self.to.isoformat()}|{self.horizon.isoformat()}|{versions}|{parts}"

    def issued_on(self, draft: Draft) -> date:
        """The date issuing gives the draft (domain/issuing.py: `DocumentSequence.issue_batch`)."""
        last = self.last_issued_on.get(draft.provider)
        return max(draft.due_on, last or draft.due_on)


def draft_part(ledgers: Iterator[Ledger], catalog: TermsCatalog, start: RunStart,
               attest: Attest | None = None) -> PartDrafts:
    """The documents the partition's clients are due by `start.to`, a group of them at a time;
    with `attest`, each group's attestations too when its drafts cannot change them."""
    part = PartDrafts()
    for ledger in ledgers:
        drafted = group_drafts(ledger, catalog, start)
        etincelle = [c.client_id for c in ledger.clients(ETINCELLE)]
        if etincelle and attest is not None and attestable_before_issuing(drafted, start):
            part.attested += attest(ledger)
        else:
            part.unattested += etincelle
        part.urssaf += sorted(urssaf_clients(ledger, drafted))
        part.drafted += drafted
        part.providers.update({c.client_id: c.provider for c in ledger.clients()})
    part.drafted.sort(key=Drafted.order)
    return part


def group_drafts(ledger: Ledger, catalog: TermsCatalog, start: RunStart) -> list[Drafted]:
    drafted = []
    for draft in due_drafts(ledger, catalog, start.to, horizon=start.horizon):
        client = ledger.aggregates[Client.id_for(draft.client_id)]
        drafted.append(Drafted(draft, buyer(client, end_of_day(start.issued_on(draft)))))
    return drafted


def attestable_before_issuing(drafted: Sequence[Drafted], start: RunStart) -> bool:
    """No draft of L'Étincelle is issued in a year attestable by `start.to`: a year's attestation
    counts the documents issued in that year only (CGV art. 8 bis 8.4; application/books/attestations.py),
    so the group's attestations are the same before its drafts are issued as after."""
    return all(first_issue_day(start.issued_on(d.draft).year) > start.to
               for d in drafted if d.draft.provider == ETINCELLE)


def urssaf_clients(ledger: Ledger, drafted: Sequence[Drafted]) -> set[str]:
    """The clients URSSAF's exchanges may concern (application/urssaf_sync.py): those with an
    account, and those with a document, issued or drafted, with the avance immédiate."""
    advanced = [d.draft for d in drafted] + list(ledger.of_type(IssuedDocument))
    return ({a.client_id for a in ledger.of_type(UrssafAccount)}
            | {d.client_id for d in advanced if d.details.get("avance_immediate")})


def groups(client_ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(client_ids), GROUP):
        yield client_ids[start:start + GROUP]


def merged_drafts(parts: Sequence[PartDrafts]) -> list[Drafted]:
    """Every partition's drafts in the order one fold of all clients drafts them."""
    return sorted((d for part in parts for d in part.drafted), key=Drafted.order)


def attested_of(parts: Sequence[PartDrafts]) -> list[str]:
    return [attestation for part in parts for attestation in part.attested]


def after_issuing_of(parts: Sequence[PartDrafts]) -> list[str]:
    return sorted(set().union(*(part.after_issuing() for part in parts)))


def providers_of(parts: Sequence[PartDrafts]) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in parts:
        found.update(part.providers)
    return found
