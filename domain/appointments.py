"""Appointment (CGPS art. 1, 6.2, 7): scheduled, honoured, contested or cancelled.

An appointment is validated at the end of the 5th jour ouvrable after its date when it was
honoured and no anomaly was declared within that window.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import BillingAggregate
from domain.calendar import deadline_after
from domain.errors import AnomalyWindowClosed, AppointmentStateError
from domain.ids import aggregate_id
from domain.terms import BtbTerms


class Appointment(BillingAggregate):
    class AppointmentScheduled(BillingAggregate.Created):
        appointment_id: str
        client_id: str
        starts_at: datetime
        subscription_id: str | None
        pack_id: str | None

    class AppointmentHonoured(BillingAggregate.Event):
        def apply(self, appt: Appointment) -> None:
            appt.honoured_at = self.at

    class AnomalyDeclared(BillingAggregate.Event):
        reason: str

        def apply(self, appt: Appointment) -> None:
            appt.anomaly_at = self.at
            appt.anomaly_reason = self.reason

    class AppointmentCancelled(BillingAggregate.Event):
        def apply(self, appt: Appointment) -> None:
            appt.cancelled_at = self.at

    def __init__(
        self, appointment_id: str, client_id: str, starts_at: datetime,
        subscription_id: str | None, pack_id: str | None, at: datetime,
    ):
        self.appointment_id = appointment_id
        self.client_id = client_id
        self.starts_at = starts_at
        self.subscription_id = subscription_id
        self.pack_id = pack_id
        self.scheduled_at = at
        self.honoured_at: datetime | None = None
        self.anomaly_at: datetime | None = None
        self.anomaly_reason: str | None = None
        self.cancelled_at: datetime | None = None

    @staticmethod
    def id_for(appointment_id: str) -> UUID:
        return aggregate_id("appointment", appointment_id)

    @classmethod
    def schedule(
        cls, appointment_id: str, client_id: str, starts_at: datetime,
        subscription_id: str | None, pack_id: str | None, at: datetime, recorded_at: datetime,
    ) -> Appointment:
        return cls._create(
            cls.AppointmentScheduled, id=cls.id_for(appointment_id), timestamp=recorded_at,
            appointment_id=appointment_id, client_id=client_id, starts_at=starts_at,
            subscription_id=subscription_id, pack_id=pack_id, at=at,
        )

    def anomaly_deadline(self, terms: BtbTerms) -> datetime:
        return deadline_after(self.starts_at, terms.validation.anomaly_window_jours_ouvrables)

    def is_contested(self, terms: BtbTerms) -> bool:
        """Only an anomaly declared within the window counts (CGPS art. 1, 7)."""
        return self.anomaly_at is not None and self.anomaly_at <= self.anomaly_deadline(terms)

    def validated_at(self, terms: BtbTerms) -> datetime | None:
        """When it became validated and billable, under those terms; None if it never does.
        Kept per version of the appointment and window (all it reads of the terms): billing
        asks it at every run."""
        key = (self.version, terms.validation.anomaly_window_jours_ouvrables)
        cached = getattr(self, "_validated", None)
        if cached is None or cached[0] != key:
            cached = self._validated = (key, self._validated_at(terms))
        return cached[1]

    def _validated_at(self, terms: BtbTerms) -> datetime | None:
        if self.cancelled_at is not None or self.honoured_at is None or self.is_contested(terms):
            return None
        return max(self.anomaly_deadline(terms), self.honoured_at)

    def _check_live(self, what: str) -> None:
        if self.cancelled_at is not None:
            raise AppointmentStateError(
                f"appointment {self.appointment_id!r} was cancelled; it cannot be {what}"
            )

    def honour(self, at: datetime, recorded_at: datetime) -> None:
        self._check_live("honoured")
        if self.honoured_at is not None:
            raise AppointmentStateError(f"appointment {self.appointment_id!r} was already honoured")
        self.record(self.AppointmentHonoured, at, recorded_at)

    def declare_anomaly(self, reason: str, at: datetime, recorded_at: datetime, terms: BtbTerms) -> None:
        self._check_live("contested")
        if self.anomaly_at is not None:
            raise AppointmentStateError(f"an anomaly was already declared on {self.appointment_id!r}")
        deadline = self.anomaly_deadline(terms)
        if at > deadline:
            # CGPS art. 1, 7
            raise AnomalyWindowClosed(
                f"the anomaly window of appointment {self.appointment_id!r} closed at "
                f"{deadline.isoformat()} ({terms.validation.anomaly_window_jours_ouvrables} "
                f"jours ouvrables, {terms.validation.article}); it is validated and billable"
            )
        self.record(self.AnomalyDeclared, at, recorded_at, reason=reason)

    def cancel(self, at: datetime, recorded_at: datetime) -> None:
        self._check_live("cancelled again")
        if self.honoured_at is not None or self.anomaly_at is not None:
            raise AppointmentStateError(
                f"appointment {self.appointment_id!r} was already honoured or contested; "
                "declare an anomaly instead of cancelling it"
            )
        self.record(self.AppointmentCancelled, at, recorded_at)
