"""Tutoring session (CGV art. 4, 5, 6, 7): booked, confirmed, cancelled, held or missed.

Events keep every detail (business time, who cancelled, force majeure, lateness, parking), so
that billing re-decides under any terms version; the event names say how the fact was judged
under the version that governs the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.base import BillingAggregate
from domain.errors import SessionStateError
from domain.ids import aggregate_id
from domain.terms import EtincelleTerms


@dataclass(frozen=True)
class Cancellation:
    at: datetime
    by: str
    force_majeure: bool
    proof: bool


@dataclass(frozen=True)
class Attendance:
    at: datetime
    student_late_minutes: int
    provider_late_minutes: int
    parking_fee: Decimal | None
    makeup_minutes: int


class TutoringSession(BillingAggregate):
    class SessionBooked(BillingAggregate.Created):
        session_id: str
        client_id: str
        starts_at: datetime
        duration_minutes: int
        place: str
        level: str
        hourly_rate: Decimal

    class SessionConfirmed(BillingAggregate.Event):
        hourly_rate: Decimal
        terms: str

        def apply(self, session: TutoringSession) -> None:
            session.confirmed_at, session.hourly_rate, session.terms = self.at, self.hourly_rate, self.terms

    class SessionCancelled(BillingAggregate.Event):
        by: str
        force_majeure: bool
        proof: bool

        def apply(self, session: TutoringSession) -> None:
            session.cancellation = Cancellation(self.at, self.by, self.force_majeure, self.proof)

    class CancellationInTime(SessionCancelled):
        pass

    class CancellationLate(SessionCancelled):
        pass

    class CancellationForceMajeure(SessionCancelled):
        pass

    class CancellationByProvider(SessionCancelled):
        pass

    class CancellationBeforeConfirmation(SessionCancelled):
        pass

    class SessionHeld(BillingAggregate.Event):
        student_late_minutes: int
        provider_late_minutes: int
        parking_fee: Decimal | None
        makeup_minutes: int

        def apply(self, session: TutoringSession) -> None:
            session.attendance = Attendance(self.at, self.student_late_minutes,
                                            self.provider_late_minutes, self.parking_fee, self.makeup_minutes)

    class ProviderLate(BillingAggregate.Event):
        minutes: int

    class StudentAbsent(BillingAggregate.Event):
        def apply(self, session: TutoringSession) -> None:
            session.absent_at = self.at

    class UrssafRequestValidated(BillingAggregate.Event):
        def apply(self, session: TutoringSession) -> None:
            session.urssaf_validated_at = self.at

    class UrssafRequestContested(BillingAggregate.Event):
        def apply(self, session: TutoringSession) -> None:
            session.urssaf_contested_at = self.at

    class UrssafDebitFailed(BillingAggregate.Event):
        def apply(self, session: TutoringSession) -> None:
            session.urssaf_debit_failed_at = self.at

    def __init__(
        self, session_id: str, client_id: str, starts_at: datetime, duration_minutes: int,
        place: str, level: str, hourly_rate: Decimal, at: datetime,
    ):
        self.session_id = session_id
        self.client_id = client_id
        self.starts_at = starts_at
        self.duration_minutes = duration_minutes
        self.place = place
        self.level = level
        self.hourly_rate = hourly_rate
        self.booked_at = at
        self.confirmed_at: datetime | None = None
        self.terms: str | None = None
        self.cancellation: Cancellation | None = None
        self.attendance: Attendance | None = None
        self.absent_at: datetime | None = None
        self.urssaf_validated_at: datetime | None = None
        self.urssaf_contested_at: datetime | None = None
        self.urssaf_debit_failed_at: datetime | None = None

    @staticmethod
    def id_for(session_id: str) -> UUID:
        return aggregate_id("session", session_id)

    @classmethod
    def book(
        cls, session_id: str, client_id: str, starts_at: datetime, duration_minutes: int, place: str,
        level: str, hourly_rate: Decimal, at: datetime, recorded_at: datetime,
    ) -> TutoringSession:
        return cls._create(
            cls.SessionBooked, id=cls.id_for(session_id), timestamp=recorded_at, session_id=session_id,
            client_id=client_id, starts_at=starts_at, duration_minutes=duration_minutes, place=place,
            level=level, hourly_rate=hourly_rate, at=at,
        )

    # --- guards -----------------------------------------------------------------------

    def _refuse_if_ended(self, what: str) -> None:
        if self.cancellation is not None:
            raise SessionStateError(f"session {self.session_id!r} was cancelled; it cannot be {what}")
        if self.attendance is not None or self.absent_at is not None:
            raise SessionStateError(f"session {self.session_id!r} already took place; it cannot be {what}")

    def _require_confirmed(self, what: str) -> None:
        if self.confirmed_at is None:
            raise SessionStateError(
                f"session {self.session_id!r} was never confirmed (CGV art. 4: an order is firm once "
                f"confirmed in writing); record session.confirmed before it is {what}"
            )

    # --- commands ---------------------------------------------------------------------

    def confirm(self, hourly_rate: Decimal, terms: EtincelleTerms, at: datetime, recorded_at: datetime) -> None:
        self._refuse_if_ended("confirmed")
        if self.confirmed_at is not None:
            raise SessionStateError(f"session {self.session_id!r} was already confirmed")
        self.record(self.SessionConfirmed, at, recorded_at, hourly_rate=hourly_rate, terms=terms.reference)

    def cancel(
        self, by: str, force_majeure: bool, proof: bool, terms: EtincelleTerms, at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._refuse_if_ended("cancelled")
        kind = self._cancellation_kind(Cancellation(at, by, force_majeure, proof), terms)
        self.record(kind, at, recorded_at, by=by, force_majeure=force_majeure, proof=proof)

    def _cancellation_kind(self, cancellation: Cancellation, terms: EtincelleTerms) -> type:
        if self.confirmed_at is None or cancellation.at < self.confirmed_at:
            return self.CancellationBeforeConfirmation
        if cancellation.by == "provider":
            return self.CancellationByProvider
        if not is_late(self, cancellation, terms):
            return self.CancellationInTime
        if cancellation.force_majeure and cancellation.proof:
            return self.CancellationForceMajeure
        return self.CancellationLate

    def check_hold(self, attendance: Attendance) -> None:
        self._refuse_if_ended("held")
        self._require_confirmed("held")
        if attendance.student_late_minutes + attendance.provider_late_minutes > self.duration_minutes:
            raise SessionStateError(f"session {self.session_id!r} lasts {self.duration_minutes} minutes; "
                                    "the lateness recorded exceeds it")

    def hold(self, attendance: Attendance, recorded_at: datetime) -> None:
        self.check_hold(attendance)
        self.record(self.SessionHeld, attendance.at, recorded_at,
                    student_late_minutes=attendance.student_late_minutes,
                    provider_late_minutes=attendance.provider_late_minutes,
                    parking_fee=attendance.parking_fee, makeup_minutes=attendance.makeup_minutes)
        if attendance.provider_late_minutes:
            self.record(self.ProviderLate, attendance.at, recorded_at, minutes=attendance.provider_late_minutes)

    def mark_absent(self, at: datetime, recorded_at: datetime) -> None:
        self._refuse_if_ended("marked absent")
        self._require_confirmed("marked absent")
        self.record(self.StudentAbsent, at, recorded_at)

    def record_urssaf_answer(self, answer: str, at: datetime, recorded_at: datetime) -> None:
        """answer: validated, contested or debit_failed, for the request covering this session."""
        current = {"validated": self.urssaf_validated_at, "contested": self.urssaf_contested_at,
                   "debit_failed": self.urssaf_debit_failed_at}
        if current[answer] is not None:
            raise SessionStateError(f"the URSSAF request of session {self.session_id!r} is already {answer}")
        if answer == "validated" and self.urssaf_contested_at or answer == "contested" and self.urssaf_validated_at:
            raise SessionStateError(f"the URSSAF request of session {self.session_id!r} was already answered")
        event = {"validated": self.UrssafRequestValidated, "contested": self.UrssafRequestContested,
                 "debit_failed": self.UrssafDebitFailed}[answer]
        self.record(event, at, recorded_at)


def is_late(session: TutoringSession, cancellation: Cancellation, terms: EtincelleTerms) -> bool:
    """CGV art. 6: a cancellation less than 72 hours (elapsed time) before the start is late."""
    return (session.starts_at - cancellation.at).total_seconds() < terms.cancellation.notice_hours * 3600
