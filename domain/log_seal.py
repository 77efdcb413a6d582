"""The seal of the event log (tamper evidence): a hash chain over every stored event, in the
order of the log, each link covering the previous one and the event's aggregate, version, type and
stored state. `billing advance` records the chain's head as it stands (`LogSealed`): an event
altered, removed, added or moved before a seal changes every later head, so `billing verify`,
recomputing the chain, finds it. Keyed (HMAC-SHA256 under a key kept outside the database), a
rewriter cannot compute seals that match; an operator can also keep heads outside (anchors)."""

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


def link(head: str, originator_id: str, version: int, topic: str, state: bytes, key: bytes | None) -> str:
    """The next head: SHA-256, or HMAC-SHA256 under `key`, of the head and the stored event."""
    message = b"|".join((head.encode(), originator_id.encode(), str(version).encode(), topic.encode(), state))
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

        def apply(self, seal: LogSeal) -> None:
            seal.heads.append((Head(self.position, self.count, self.head), self.keyed))

    def __init__(self, at: datetime):
        self.heads: list[tuple[Head, bool]] = []

    @staticmethod
    def id_for() -> UUID:
        return aggregate_id("log_seal", "event log")

    @classmethod
    def open(cls, stamp: Stamp) -> LogSeal:
        return cls._create_at(cls.SealOpened, stamp, id=cls.id_for())

    @property
    def last(self) -> Head:
        return self.heads[-1][0] if self.heads else START

    def seal(self, head: Head, keyed: bool, stamp: Stamp) -> None:
        if head.position > self.last.position:
            self.record(self.LogSealed, stamp, position=head.position, count=head.count, head=head.head, keyed=keyed)
