"""Starter Pack (CGPS art. 3): one per client, 10 appointments, invoiced at order."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import BillingAggregate
from domain.errors import StarterPackExhausted
from domain.ids import aggregate_id
from domain.terms import BtbTerms


class StarterPack(BillingAggregate):
    class StarterPackOrdered(BillingAggregate.Created):
        pack_id: str
        client_id: str
        terms: str

    class CampaignStarted(BillingAggregate.Event):
        def apply(self, pack: StarterPack) -> None:
            pack.campaign_started_at = self.at

    class AppointmentBooked(BillingAggregate.Event):
        appointment_id: str

        def apply(self, pack: StarterPack) -> None:
            pack.appointment_ids.append(self.appointment_id)

    def __init__(self, pack_id: str, client_id: str, terms: str, at: datetime):
        self.pack_id = pack_id
        self.client_id = client_id
        self.terms = terms
        self.ordered_at = at
        self.campaign_started_at: datetime | None = None
        self.appointment_ids: list[str] = []

    @staticmethod
    def id_for(pack_id: str) -> UUID:
        return aggregate_id("starter_pack", pack_id)

    @classmethod
    def order(
        cls, pack_id: str, client_id: str, terms: str, at: datetime, recorded_at: datetime,
    ) -> StarterPack:
        return cls._create(
            cls.StarterPackOrdered, id=cls.id_for(pack_id), timestamp=recorded_at,
            pack_id=pack_id, client_id=client_id, terms=terms, at=at,
        )

    def start_campaign(self, at: datetime, recorded_at: datetime) -> None:
        if self.campaign_started_at is None:
            self.record(self.CampaignStarted, at, recorded_at)

    def book(
        self, appointment_id: str, validated_so_far: int, at: datetime, recorded_at: datetime,
        terms: BtbTerms,
    ) -> None:
        """`validated_so_far`: the pack's appointments validated by `at`."""
        if validated_so_far >= terms.starter_pack.appointments:
            raise StarterPackExhausted(
                f"Starter Pack {self.pack_id!r} is exhausted: {validated_so_far} appointments "
                f"validated ({terms.starter_pack.article}); subscribe to a plan to go on"
            )
        self.record(self.AppointmentBooked, at, recorded_at, appointment_id=appointment_id)
