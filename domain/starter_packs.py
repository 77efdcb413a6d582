"""Starter Pack (CGPS art. 3): one per client, 10 appointments, invoiced at order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.errors import AlreadyExists, StarterPackExhausted, StarterPackNotRefundable
from domain.ids import aggregate_id
from domain.terms import BtbTerms
from domain.timeline import Mark, after, first_of, judge, moment, place, rejudge

CAMPAIGN, BOOKED, REFUNDED = "starter_pack.campaign_started", "appointment.scheduled", "invoice.cancelled"


class StarterPack(BillingAggregate):
    class StarterPackOrdered(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "starter_pack.ordered"
        pack_id: str
        client_id: str
        terms: str

    class CampaignStarted(BillingAggregate.Event):
        recorded_by: ClassVar[str] = CAMPAIGN

        def apply(self, pack: StarterPack) -> None:
            pack.campaign_started_at = self.at
            place(pack.marks, self.mark())

    class AppointmentBooked(BillingAggregate.Event):
        recorded_by: ClassVar[str] = BOOKED
        appointment_id: str

        def apply(self, pack: StarterPack) -> None:
            pack.appointment_ids.append(self.appointment_id)
            place(pack.bookings, self.mark(self.appointment_id))

    class PackRefunded(BillingAggregate.Event):
        recorded_by: ClassVar[str] = REFUNDED
        invoice: str

        def apply(self, pack: StarterPack) -> None:
            place(pack.marks, self.mark(self.invoice))

    def __init__(self, pack_id: str, client_id: str, terms: str, at: datetime):
        self.pack_id = pack_id
        self.client_id = client_id
        self.terms = terms
        self.ordered_at = at
        self.campaign_started_at: datetime | None = None
        self.appointment_ids: list[str] = []
        self.marks: list[Mark] = []
        self.bookings: list[Mark] = []

    @staticmethod
    def id_for(pack_id: str) -> UUID:
        return aggregate_id("starter_pack", pack_id)

    @classmethod
    def order(cls, pack_id: str, client_id: str, terms: str, stamp: Stamp) -> StarterPack:
        return cls._create_at(cls.StarterPackOrdered, stamp, id=cls.id_for(pack_id), pack_id=pack_id,
                              client_id=client_id, terms=terms)

    def _check(self, mark: Mark, earlier: list[Mark]) -> None:
        started = first_of(earlier, (CAMPAIGN,))
        if mark.kind == CAMPAIGN and started is not None:
            raise AlreadyExists(f"the campaign of Starter Pack {self.pack_id!r} already started ({started.describe()})")
        if mark.kind == REFUNDED and started is not None:
            # CGPS art. 3.3
            raise StarterPackNotRefundable(
                f"Starter Pack {self.pack_id!r} cannot be refunded: its campaign started "
                f"({started.describe()}; CGPS art. 3.3, no refund once the campaign started)"
            )

    def start_campaign(self, stamp: Stamp) -> None:
        judge(self.marks, stamp.mark(CAMPAIGN), self._check)
        self.record(self.CampaignStarted, stamp)

    def refund(self, invoice: str, stamp: Stamp) -> None:
        """Its invoice cancelled (invoice.cancelled): only before the campaign started."""
        judge(self.marks, stamp.mark(REFUNDED, invoice), self._check)
        self.record(self.PackRefunded, stamp, invoice=invoice)

    def book(self, appointment_id: str, validated: Iterable[datetime], stamp: Stamp, terms: BtbTerms) -> None:
        """`validated`: when each of the pack's appointments became validated."""
        self._check_not_exhausted(stamp.mark(BOOKED, appointment_id), list(validated), terms)
        self.record(self.AppointmentBooked, stamp, appointment_id=appointment_id)

    def check_validation(self, validated: list[datetime], validated_at: datetime, new: Mark, terms: BtbTerms) -> None:
        """The fact `new` validating one more appointment at `validated_at` must leave every
        booking dated after that with fewer than the pack's appointments validated (an 11th
        booking on a pack of 10: whichever was recorded first stands)."""
        for booking in after(self.bookings, validated_at):
            rejudge(new, booking, lambda: self._check_not_exhausted(booking, [*validated, validated_at], terms))

    def _check_not_exhausted(self, booking: Mark, validated: list[datetime], terms: BtbTerms) -> None:
        count = sum(1 for at in validated if at <= booking.at)
        if count >= terms.starter_pack.appointments:
            raise StarterPackExhausted(
                f"Starter Pack {self.pack_id!r} is exhausted at {moment(booking.at)}: {count} appointments "
                f"validated ({terms.starter_pack.article}); subscribe to a plan to go on"
            )
