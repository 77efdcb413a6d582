"""The seal of the event log (tamper evidence): a hash chain over every stored event, in the
order of the log, each link covering the previous one and the event's aggregate, version, type and
stored state. `billing advance` records the chain's head as it stands (`LogSealed`): an event
altered, removed, added or moved before a seal changes every later head, so `billing verify`,
recomputing the chain, finds it. Keyed (HMAC-SHA256 under a key kept outside the database), a
rewriter cannot compute seals that match; an operator can also keep heads outside (anchors).

Beside the whole log's chain, each provider has a chain of its own over its events only (and the
events naming no provider have a shared one): a provider's head can be given to its auditor, and
checked without the other provider's events being disclosed (application/log_owners.py)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import ClassVar, NamedTuple
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.ids import aggregate_id

GENESIS = "0" * 64


class Head(NamedTuple):
    """The chain after the events up to `position` (a position in the log), `count` of them."""
    position: int
    count: int
    head: str

    def anchor(self) -> str:
        return f"{self.position}:{self.count}:{self.head}"


START = Head(0, 0, GENESIS)


class Anchor(NamedTuple):
    """A head kept outside the database: of the whole log (`chain` None) or of one chain."""
    chain: str | None
    head: Head

    def text(self) -> str:
        return self.head.anchor() if self.chain is None else f"{self.chain}:{self.head.anchor()}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """`position:count:hash`, or `chain:position:count:hash`; ValueError otherwise."""
        *chain, position, count, head = text.split(":")
        if len(chain) > 1 or not (position.isdigit() and count.isdigit()) or len(head) != 64:
            raise ValueError(text)
        return cls(chain[0] if chain else None, Head(int(position), int(count), head))


class Seal(NamedTuple):
    """One recorded seal (or an anchor kept outside): the whole log's head, whether keyed, and
    each chain's head."""
    head: Head
    keyed: bool
    chains: dict[str, Head]
    name: str = "seal"


def stored(originator_id: str, version: int, topic: str, state: bytes) -> bytes:
    """What a link covers of one stored event: its aggregate, version, type and stored state."""
    return b"|".join((originator_id.encode(), str(version).encode(), topic.encode(), state))


def link(head: str, event: bytes, key: bytes | None) -> str:
    """The next head: SHA-256, or HMAC-SHA256 under `key`, of the head and the stored event."""
    message = head.encode() + b"|" + event
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class LogSeal(BillingAggregate):
    """One per store: the heads recorded so far, in order."""

    class SealOpened(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "billing advance (log sealed)"

    class LogSealed(BillingAggregate.Event):
        position: int
        count: int
        head: str
        keyed: bool
        chains: dict | None = None  # chain: [count, head]; None in seals from before chains

        def apply(self, seal: LogSeal) -> None:
            chains = {name: Head(self.position, count, head) for name, (count, head) in (self.chains or {}).items()}
            seal.heads.append(Seal(Head(self.position, self.count, self.head), self.keyed, chains))

    def __init__(self, at: datetime):
        self.heads: list[Seal] = []

    @staticmethod
    def id_for() -> UUID:
        return aggregate_id("log_seal", "event log")

    @classmethod
    def open(cls, stamp: Stamp) -> LogSeal:
        return cls._create_at(cls.SealOpened, stamp, id=cls.id_for())

    @property
    def last(self) -> Seal:
        return self.heads[-1] if self.heads else Seal(START, False, {})

    def seal(self, head: Head, keyed: bool, chains: dict[str, Head], stamp: Stamp) -> None:
        if head.position > self.last.head.position:
            self.record(self.LogSealed, stamp, position=head.position, count=head.count, head=head.head, keyed=keyed,
                        chains={name: [h.count, h.head] for name, h in sorted(chains.items())})
