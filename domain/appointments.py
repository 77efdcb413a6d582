"""Appointment (CGPS art. 1, 6.2, 7): scheduled, honoured, contested or cancelled.

An appointment is validated at the end of the 5th jour ouvrable after its date when it was
honoured and no anomaly was declared within that window. Each fact about it is judged as of
its own business time (domain/timeline.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.calendar import deadline_after
from domain.errors import AnomalyWindowClosed, AppointmentStateError
from domain.ids import aggregate_id
from domain.terms import BtbTerms
from domain.timeline import Mark, judge, moment, place, refuse_after

SCHEDULED, HONOURED = "appointment.scheduled", "appointment.honoured"
ANOMALY, CANCELLED = "appointment.anomaly_declared", "appointment.cancelled"
# What each fact about an appointment may not follow.
NOT_AFTER = {
    HONOURED: (CANCELLED, HONOURED),
    ANOMALY: (CANCELLED, ANOMALY),
    CANCELLED: (CANCELLED, HONOURED, ANOMALY),
}
STATES = {HONOURED: "was already honoured (declare an anomaly rather than cancel it)",
          ANOMALY: "was already contested", CANCELLED: "was cancelled"}


class Appointment(BillingAggregate):
    class AppointmentScheduled(BillingAggregate.Created):
        recorded_by: ClassVar[str] = SCHEDULED
        appointment_id: str
        client_id: str
        starts_at: datetime
        subscription_id: str | None
        pack_id: str | None

    class AppointmentHonoured(BillingAggregate.Event):
        recorded_by: ClassVar[str] = HONOURED

        def apply(self, appt: Appointment) -> None:
            appt.honoured_at = self.at
            place(appt.marks, self.mark())

    class AnomalyDeclared(BillingAggregate.Event):
        recorded_by: ClassVar[str] = ANOMALY
        reason: str

        def apply(self, appt: Appointment) -> None:
            appt.anomaly_at = self.at
            appt.anomaly_reason = self.reason
            place(appt.marks, self.mark())

    class AppointmentCancelled(BillingAggregate.Event):
        recorded_by: ClassVar[str] = CANCELLED

        def apply(self, appt: Appointment) -> None:
            appt.cancelled_at = self.at
            place(appt.marks, self.mark())

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
        self.marks: list[Mark] = []

    @staticmethod
    def id_for(appointment_id: str) -> UUID:
        return aggregate_id("appointment", appointment_id)

    @classmethod
    def schedule(
        cls, appointment_id: str, client_id: str, starts_at: datetime,
        subscription_id: str | None, pack_id: str | None, stamp: Stamp,
    ) -> Appointment:
        return cls._create_at(
            cls.AppointmentScheduled, stamp, id=cls.id_for(appointment_id), appointment_id=appointment_id,
            client_id=client_id, starts_at=starts_at, subscription_id=subscription_id, pack_id=pack_id,
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
        if self.cancelled_at is not None or self.honoured_at is None:
            return None
        return self.validated_if_honoured(self.honoured_at, terms)

    def validated_if_honoured(self, honoured_at: datetime, terms: BtbTerms) -> datetime | None:
        """When an honour at `honoured_at` would validate it (CGPS art. 1, 7): at the end of the
        window, or when honoured if later; never if contested in time or cancelled."""
        if self.cancelled_at is not None or self.is_contested(terms):
            return None
        return max(self.anomaly_deadline(terms), honoured_at)

    def _check(self, mark: Mark, earlier: list[Mark]) -> None:
        what = f"appointment {self.appointment_id!r}"
        refuse_after(mark, earlier, NOT_AFTER, what, AppointmentStateError, STATES)

    def _judge(self, kind: str, stamp: Stamp) -> None:
        judge(self.marks, stamp.mark(kind), self._check)

    def check_honour(self, stamp: Stamp) -> None:
        self._judge(HONOURED, stamp)

    def honour(self, stamp: Stamp) -> None:
        self.check_honour(stamp)
        self.record(self.AppointmentHonoured, stamp)

    def declare_anomaly(self, reason: str, stamp: Stamp, terms: BtbTerms) -> None:
        deadline = self.anomaly_deadline(terms)
        if stamp.at > deadline:
            # CGPS art. 1, 7
            raise AnomalyWindowClosed(
                f"the anomaly window of appointment {self.appointment_id!r} closed at "
                f"{moment(deadline)} ({terms.validation.anomaly_window_jours_ouvrables} "
                f"jours ouvrables, {terms.validation.article}); it is validated and billable"
            )
        self._judge(ANOMALY, stamp)
        self.record(self.AnomalyDeclared, stamp, reason=reason)

    def cancel(self, stamp: Stamp) -> None:
        self._judge(CANCELLED, stamp)
        self.record(self.AppointmentCancelled, stamp)
