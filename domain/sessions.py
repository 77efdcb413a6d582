"""Tutoring session (CGV art. 4, 5, 6, 7): booked, confirmed, cancelled, held or missed.

Events keep every detail (business time, who cancelled, force majeure, lateness, parking), so
that billing re-decides under any terms version; the event names say how the fact was judged
under the version that governs the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.errors import SessionStateError
from domain.ids import aggregate_id
from domain.terms import EtincelleTerms
from domain.timeline import Mark, first_of, judge, moment, place, refuse_after, require_before, up_to


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


BOOKED, CONFIRMED, CANCELLED = "session.booked", "session.confirmed", "session.cancelled"
HELD, ABSENT = "session.held", "session.student_absent"
VALIDATED, CONTESTED, DEBIT_FAILED = "urssaf.request_validated", "urssaf.request_contested", "urssaf.debit_failed"
ENDED = (CANCELLED, HELD, ABSENT)
# What each fact about a session may not follow, and what one of which it needs before it.
NOT_AFTER = {
    CONFIRMED: (CONFIRMED, *ENDED), CANCELLED: ENDED, HELD: ENDED, ABSENT: ENDED,
    VALIDATED: (VALIDATED, CONTESTED), CONTESTED: (VALIDATED, CONTESTED), DEBIT_FAILED: (DEBIT_FAILED,),
}
NEEDS = {VALIDATED: (HELD,), CONTESTED: (HELD,), DEBIT_FAILED: (HELD,)}
STATES = {CONFIRMED: "was already confirmed", CANCELLED: "was cancelled", HELD: "already took place",
          ABSENT: "already took place (student absent)", VALIDATED: "had its URSSAF request already answered",
          CONTESTED: "had its URSSAF request already answered", DEBIT_FAILED: "had its URSSAF debit failed already"}
ANSWERS = {"validated": VALIDATED, "contested": CONTESTED, "debit_failed": DEBIT_FAILED}


class TutoringSession(BillingAggregate):
    class SessionBooked(BillingAggregate.Created):
        recorded_by: ClassVar[str] = BOOKED
        session_id: str
        client_id: str
        starts_at: datetime
        duration_minutes: int
        place: str
        level: str
        hourly_rate: Decimal

    class SessionConfirmed(BillingAggregate.Event):
        recorded_by: ClassVar[str] = CONFIRMED
        hourly_rate: Decimal
        terms: str

        def apply(self, session: TutoringSession) -> None:
            session.confirmed_at, session.hourly_rate, session.terms = self.at, self.hourly_rate, self.terms
            place(session.marks, self.mark())

    class SessionCancelled(BillingAggregate.Event):
        recorded_by: ClassVar[str] = CANCELLED
        by: str
        force_majeure: bool
        proof: bool

        def apply(self, session: TutoringSession) -> None:
            session.cancellation = Cancellation(self.at, self.by, self.force_majeure, self.proof)
            place(session.marks, self.mark())

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
        recorded_by: ClassVar[str] = HELD
        student_late_minutes: int
        provider_late_minutes: int
        parking_fee: Decimal | None
        makeup_minutes: int

        def apply(self, session: TutoringSession) -> None:
            session.attendance = Attendance(self.at, self.student_late_minutes,
                                            self.provider_late_minutes, self.parking_fee, self.makeup_minutes)
            place(session.marks, self.mark())

    class ProviderLate(BillingAggregate.Event):
        recorded_by: ClassVar[str] = HELD
        minutes: int

    class StudentAbsent(BillingAggregate.Event):
        recorded_by: ClassVar[str] = ABSENT

        def apply(self, session: TutoringSession) -> None:
            session.absent_at = self.at
            place(session.marks, self.mark())

    class UrssafRequestValidated(BillingAggregate.Event):
        recorded_by: ClassVar[str] = VALIDATED

        def apply(self, session: TutoringSession) -> None:
            session.urssaf_validated_at = self.at
            place(session.marks, self.mark())

    class UrssafRequestContested(BillingAggregate.Event):
        recorded_by: ClassVar[str] = CONTESTED

        def apply(self, session: TutoringSession) -> None:
            session.urssaf_contested_at = self.at
            place(session.marks, self.mark())

    class UrssafDebitFailed(BillingAggregate.Event):
        recorded_by: ClassVar[str] = DEBIT_FAILED

        def apply(self, session: TutoringSession) -> None:
            session.urssaf_debit_failed_at = self.at
            place(session.marks, self.mark())

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
        self.marks: list[Mark] = []

    @staticmethod
    def id_for(session_id: str) -> UUID:
        return aggregate_id("session", session_id)

    @classmethod
    def book(
        cls, session_id: str, client_id: str, starts_at: datetime, duration_minutes: int, place: str,
        level: str, hourly_rate: Decimal, stamp: Stamp,
    ) -> TutoringSession:
        return cls._create_at(
            cls.SessionBooked, stamp, id=cls.id_for(session_id), session_id=session_id, client_id=client_id,
            starts_at=starts_at, duration_minutes=duration_minutes, place=place, level=level,
            hourly_rate=hourly_rate,
        )

    # --- guards: each fact judged as of its business time ----------------------------------

    def _check(self, mark: Mark, earlier: list[Mark]) -> None:
        what = f"session {self.session_id!r}"
        refuse_after(mark, earlier, NOT_AFTER, what, SessionStateError, STATES)
        if mark.kind in (HELD, ABSENT) and first_of(earlier, (CONFIRMED,)) is None:
            raise SessionStateError(
                f"{what} is not confirmed at {moment(mark.at)} (CGV art. 4: an order is firm once confirmed "
                f"in writing); record its session.confirmed, dated before, first"
            )
        require_before(mark, earlier, NEEDS.get(mark.kind, ()), what, SessionStateError)

    def _judge(self, kind: str, stamp: Stamp) -> None:
        judge(self.marks, stamp.mark(kind), self._check)

    def confirmed_as_of(self, at: datetime) -> bool:
        return first_of(up_to(self.marks, at), (CONFIRMED,)) is not None

    def held_as_of(self, at: datetime) -> bool:
        return first_of(up_to(self.marks, at), (HELD,)) is not None

    # --- commands ---------------------------------------------------------------------

    def confirm(self, hourly_rate: Decimal, terms: EtincelleTerms, stamp: Stamp) -> None:
        self._judge(CONFIRMED, stamp)
        self.record(self.SessionConfirmed, stamp, hourly_rate=hourly_rate, terms=terms.reference)

    def cancel(self, by: str, force_majeure: bool, proof: bool, terms: EtincelleTerms | None, stamp: Stamp) -> None:
        """`terms`: the session's, when it is confirmed as of the cancellation."""
        self._judge(CANCELLED, stamp)
        kind = self._cancellation_kind(Cancellation(stamp.at, by, force_majeure, proof), terms)
        self.record(kind, stamp, by=by, force_majeure=force_majeure, proof=proof)

    def _cancellation_kind(self, cancellation: Cancellation, terms: EtincelleTerms | None) -> type:
        """How the cancellation is judged as of its time; billing re-decides from its details."""
        if terms is None or not self.confirmed_as_of(cancellation.at):
            return self.CancellationBeforeConfirmation
        if cancellation.by == "provider":
            return self.CancellationByProvider
        if not is_late(self, cancellation, terms):
            return self.CancellationInTime
        if cancellation.force_majeure and cancellation.proof:
            return self.CancellationForceMajeure
        return self.CancellationLate

    def check_hold(self, attendance: Attendance, stamp: Stamp) -> None:
        self._judge(HELD, stamp)
        if attendance.student_late_minutes + attendance.provider_late_minutes > self.duration_minutes:
            raise SessionStateError(f"session {self.session_id!r} lasts {self.duration_minutes} minutes; "
                                    "the lateness recorded exceeds it")

    def hold(self, attendance: Attendance, stamp: Stamp) -> None:
        self.check_hold(attendance, stamp)
        self.record(self.SessionHeld, stamp,
                    student_late_minutes=attendance.student_late_minutes,
                    provider_late_minutes=attendance.provider_late_minutes,
                    parking_fee=attendance.parking_fee, makeup_minutes=attendance.makeup_minutes)
        if attendance.provider_late_minutes:
            self.record(self.ProviderLate, stamp, minutes=attendance.provider_late_minutes)

    def mark_absent(self, stamp: Stamp) -> None:
        self._judge(ABSENT, stamp)
        self.record(self.StudentAbsent, stamp)

    def check_urssaf_answer(self, answer: str, stamp: Stamp) -> None:
        """answer: validated, contested or debit_failed, for the request covering this session."""
        self._judge(ANSWERS[answer], stamp)

    def record_urssaf_answer(self, answer: str, stamp: Stamp) -> None:
        self.check_urssaf_answer(answer, stamp)
        event = {"validated": self.UrssafRequestValidated, "contested": self.UrssafRequestContested,
                 "debit_failed": self.UrssafDebitFailed}[answer]
        self.record(event, stamp)


def is_late(session: TutoringSession, cancellation: Cancellation, terms: EtincelleTerms) -> bool:
    """CGV art. 6: a cancellation less than 72 hours (elapsed time) before the start is late."""
    return (session.starts_at - cancellation.at).total_seconds() < terms.cancellation.notice_hours * 3600
