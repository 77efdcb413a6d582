"""Subscription (CGPS art. 4, 5, 9): plan, fee, option, notice, breach and bookings, as facts.

The contract facts are folded in business-time order into a `Standing` (domain/standing.py),
whatever order they arrived in: billing reads the standing of all of them, each guard the
standing as of its fact's `at`. The billing rules re-derive end dates from it under any terms
version; the guards judge each fact under the version that governs the contract.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.calendar import end_of_day, paris_date
from domain.errors import AppointmentStateError, BreachNoticeRunning, SubscriptionStateError
from domain.ids import aggregate_id
from domain.periods import echeance, end_index_after_notice, first_echeance_on_or_after
from domain.standing import (
    BOOKED, CANCELLED, NOTICE, OPTION_OFF, OPTION_ON, REMEDY, SUSPENDED, TERMINATED, FormalNotice,
    OptionSpan, Standing, standing,
)
from domain.terms import BtbTerms
from domain.timeline import Mark, after, judge, moment, place, rejudge, up_to, with_mark

__all__ = ["FormalNotice", "OptionSpan", "Subscription", "cancellation_ends_on", "option_ends_on",
           "option_first_period"]
ENDS_IT = (OPTION_ON, CANCELLED, NOTICE, SUSPENDED, TERMINATED)


class Subscription(BillingAggregate):
    class SubscriptionStarted(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "subscription.started"
        subscription_id: str
        client_id: str
        plan: str
        monthly_fee: Decimal
        prepaid_quarterly: bool
        terms: str

    class ContractEvent(BillingAggregate.Event):
        def apply(self, sub: Subscription) -> None:
            place(sub.marks, self.mark(self.data()))
            sub.standing = standing(sub.marks)

        def data(self) -> object:
            return None

    class OptionActivated(ContractEvent):
        recorded_by: ClassVar[str] = OPTION_ON
        option: str
        monthly_fee_ht: Decimal

        def data(self) -> object:
            return (self.option, self.monthly_fee_ht)

    class OptionCancellationNotified(ContractEvent):
        recorded_by: ClassVar[str] = OPTION_OFF
        option: str
        ends_on: date

        def data(self) -> object:
            return self.option

    class CancellationNotified(ContractEvent):
        recorded_by: ClassVar[str] = CANCELLED
        ends_on: date

    class FormalNoticeSent(ContractEvent):
        recorded_by: ClassVar[str] = NOTICE
        reason: str

        def data(self) -> object:
            return self.reason

    class BreachRemedied(ContractEvent):
        recorded_by: ClassVar[str] = REMEDY

    class SuspendedForBreach(ContractEvent):
        recorded_by: ClassVar[str] = SUSPENDED

    class TerminatedForBreach(ContractEvent):
        recorded_by: ClassVar[str] = TERMINATED

    class AppointmentBooked(BillingAggregate.Event):
        recorded_by: ClassVar[str] = BOOKED
        appointment_id: str
        starts_at: datetime

        def apply(self, sub: Subscription) -> None:
            place(sub.bookings, self.mark((self.appointment_id, paris_date(self.starts_at))))

    def __init__(
        self, subscription_id: str, client_id: str, plan: str, monthly_fee: Decimal,
        prepaid_quarterly: bool, terms: str, at: datetime,
    ):
        self.subscription_id = subscription_id
        self.client_id = client_id
        self.plan = plan
        self.monthly_fee = monthly_fee
        self.prepaid_quarterly = prepaid_quarterly
        self.terms = terms
        self.started_at = at
        self.marks: list[Mark] = []
        self.bookings: list[Mark] = []
        self.standing = Standing()

    @staticmethod
    def id_for(subscription_id: str) -> UUID:
        return aggregate_id("subscription", subscription_id)

    @classmethod
    def start(
        cls, subscription_id: str, client_id: str, plan: str, monthly_fee: Decimal,
        prepaid_quarterly: bool, terms: str, stamp: Stamp,
    ) -> Subscription:
        return cls._create_at(
            cls.SubscriptionStarted, stamp, id=cls.id_for(subscription_id), subscription_id=subscription_id,
            client_id=client_id, plan=plan, monthly_fee=monthly_fee, prepaid_quarterly=prepaid_quarterly,
            terms=terms,
        )

    @property
    def start_date(self) -> date:
        return paris_date(self.started_at)

    @property
    def options(self) -> list[OptionSpan]:
        return self.standing.options

    @property
    def notices(self) -> list[FormalNotice]:
        return self.standing.notices

    @property
    def cancellation_notified_at(self) -> datetime | None:
        return self.standing.cancellation_notified_at

    @property
    def terminated_at(self) -> datetime | None:
        return self.standing.terminated_at

    def standing_at(self, at: datetime, extra: Mark | None = None) -> Standing:
        """As of `at`; with `extra`, as if that fact were recorded too."""
        if extra is not None and extra.at <= at:
            return standing(with_mark(up_to(self.marks, at), extra))
        if not self.marks or self.marks[-1].at <= at:
            return self.standing
        return standing(up_to(self.marks, at))

    def suspended_on(self, day: date) -> bool:
        return self.standing.suspended_on(day) is not None

    def ends_on(self, terms: BtbTerms) -> date | None:
        return ends_on(self, self.standing, terms)

    # --- guards: each fact judged against the standing as of its business time ---------

    def _judge(self, mark: Mark, terms: BtbTerms) -> None:
        """The fact and every later contract fact judged in time order; then every booking
        dated after it against the standing with it in place."""
        judge(self.marks, mark, lambda m, earlier: self._check(m, standing(earlier), terms),
              lambda m, earlier: self._check(m, standing(earlier), terms, recorded=True))
        marks = with_mark(self.marks, mark)
        for booking in after(self.bookings, mark.at):
            rejudge(mark, booking, lambda: self._check_booking(booking, standing(up_to(marks, booking.at)), terms))

    def _check(self, mark: Mark, s: Standing, terms: BtbTerms, recorded: bool = False) -> None:
        if mark.kind in ENDS_IT:
            self._check_not_terminated(s, mark)
        if mark.kind == OPTION_ON:
            self._check_option_on(mark, s, terms, recorded)
        if mark.kind == OPTION_OFF:
            self._check_option_off(mark, s, recorded)
        CHECKS.get(mark.kind, lambda *_: None)(self, mark, s, terms)

    def _check_not_terminated(self, s: Standing, mark: Mark) -> None:
        if s.terminated_at is not None:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} was terminated for breach on "
                f"{paris_date(s.terminated_at)}; this {mark.kind} at {moment(mark.at)} is no longer possible"
            )

    def _check_option_on(self, mark: Mark, s: Standing, terms: BtbTerms, recorded: bool) -> None:
        """A new activation needs the option inactive as of its date. A recorded one that an
        earlier activation arriving late makes redundant still stands (its notice may be on its
        way): the fold then leaves it out while the earlier span runs."""
        option = mark.data[0]
        end = ends_on(self, s, terms)
        if end is not None and paris_date(mark.at) >= end:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} ended on {end}; activating an option is not possible"
            )
        span = s.active_option(option)
        if span is not None and not recorded:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} already has the {option} option active since "
                f"{moment(span.activated_at)}"
            )

    def _check_option_off(self, mark: Mark, s: Standing, recorded: bool) -> None:
        """A new notice needs the option active as of its date. A recorded one that an earlier
        notice arriving late makes redundant still stands: it changes nothing then."""
        span = s.latest_option(mark.data) if recorded else s.active_option(mark.data)
        if span is None:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} has no active {mark.data} option at "
                f"{moment(mark.at)}; record its subscription.option_activated, dated before, first"
            )

    def _check_cancellation(self, mark: Mark, s: Standing, terms: BtbTerms) -> None:
        if s.cancellation_notified_at is not None:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} was already cancelled on "
                f"{moment(s.cancellation_notified_at)}; it ends on {ends_on(self, s, terms)}"
            )

    def _check_remedy(self, mark: Mark, s: Standing, terms: BtbTerms) -> None:
        self._running_notice(s, mark, "a remedy")

    def _check_suspension(self, mark: Mark, s: Standing, terms: BtbTerms) -> None:
        self._notice_ran_out(s, mark, terms, "suspension")
        suspended = s.suspension()
        if suspended is not None:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} is already suspended since {paris_date(suspended.suspended_at)}"
            )

    def _check_termination(self, mark: Mark, s: Standing, terms: BtbTerms) -> None:
        self._notice_ran_out(s, mark, terms, "termination")

    def _notice_ran_out(self, s: Standing, mark: Mark, terms: BtbTerms, what: str) -> FormalNotice:
        notice = self._running_notice(s, mark, f"a {what} for breach")
        allowed_from = end_of_day(paris_date(notice.sent_at) + timedelta(days=terms.breach.remedy_days))
        if mark.at <= allowed_from:
            # CGPS art. 9
            raise BreachNoticeRunning(
                f"the formal notice of {paris_date(notice.sent_at)} runs for "
                f"{terms.breach.remedy_days} days ({terms.breach.article}); {what} is "
                f"possible from {paris_date(allowed_from) + timedelta(days=1)}"
            )
        return notice

    def _running_notice(self, s: Standing, mark: Mark, what: str) -> FormalNotice:
        notice = s.running_notice()
        if notice is None:
            raise SubscriptionStateError(
                f"{what} needs a formal notice running on subscription {self.subscription_id!r} at "
                f"{moment(mark.at)}; record its subscription.formal_notice_sent, dated before, first"
            )
        return notice

    def _check_booking(self, booking: Mark, s: Standing, terms: BtbTerms) -> None:
        day = booking.data[1]
        suspension = s.suspended_on(day)
        if suspension is not None:
            # CGPS art. 9
            raise AppointmentStateError(
                f"subscription {self.subscription_id!r} is suspended for breach on {day} (suspension at "
                f"{moment(suspension.suspended_at)}, {terms.breach.article}): no appointment can be "
                "booked on it until the breach is remedied"
            )
        end = ends_on(self, s, terms)
        if day < self.start_date or (end is not None and day >= end):
            raise AppointmentStateError(
                f"subscription {self.subscription_id!r} does not cover {day} at {moment(booking.at)} "
                f"(it runs from {self.start_date}, ends {end or 'open'})"
            )

    def covers(self, day: date, at: datetime, terms: BtbTerms, extra: Mark | None = None) -> bool:
        """Running on `day`, as known at `at`, and not suspended for breach (CGPS art. 9)."""
        s = self.standing_at(at, extra)
        end = ends_on(self, s, terms)
        return self.start_date <= day and (end is None or day < end) and s.suspended_on(day) is None

    # --- commands ---------------------------------------------------------------------

    def book(self, appointment_id: str, starts_at: datetime, stamp: Stamp, terms: BtbTerms) -> None:
        booking = stamp.mark(BOOKED, (appointment_id, paris_date(starts_at)))
        self._check_booking(booking, self.standing_at(stamp.at), terms)
        self.record(self.AppointmentBooked, stamp, appointment_id=appointment_id, starts_at=starts_at)

    def activate_option(self, option: str, monthly_fee_ht: Decimal, stamp: Stamp, terms: BtbTerms) -> None:
        self._judge(stamp.mark(OPTION_ON, (option, monthly_fee_ht)), terms)
        self.record(self.OptionActivated, stamp, option=option, monthly_fee_ht=monthly_fee_ht)

    def notify_option_cancellation(self, option: str, stamp: Stamp, terms: BtbTerms) -> None:
        self._judge(stamp.mark(OPTION_OFF, option), terms)
        span = standing(with_mark(up_to(self.marks, stamp.at), stamp.mark(OPTION_OFF, option))).latest_option(option)
        ends = option_ends_on(self, span, paris_date(span.cancellation_notified_at), terms)
        self.record(self.OptionCancellationNotified, stamp, option=option, ends_on=ends)

    def notify_cancellation(self, stamp: Stamp, terms: BtbTerms) -> None:
        self._judge(stamp.mark(CANCELLED), terms)
        self.record(self.CancellationNotified, stamp, ends_on=cancellation_ends_on(self, paris_date(stamp.at), terms))

    def send_formal_notice(self, reason: str, stamp: Stamp, terms: BtbTerms) -> None:
        """CGPS art. 9. A notice sent while another runs restarts the 15 days from its date."""
        self._judge(stamp.mark(NOTICE, reason), terms)
        self.record(self.FormalNoticeSent, stamp, reason=reason)

    def remedy_breach(self, stamp: Stamp, terms: BtbTerms) -> None:
        self._judge(stamp.mark(REMEDY), terms)
        self.record(self.BreachRemedied, stamp)

    def terminate_for_breach(self, stamp: Stamp, terms: BtbTerms) -> None:
        self._judge(stamp.mark(TERMINATED), terms)
        self.record(self.TerminatedForBreach, stamp)

    def suspend_for_breach(self, stamp: Stamp, terms: BtbTerms) -> None:
        self._judge(stamp.mark(SUSPENDED), terms)
        self.record(self.SuspendedForBreach, stamp)


CHECKS = {
    CANCELLED: Subscription._check_cancellation, REMEDY: Subscription._check_remedy,
    SUSPENDED: Subscription._check_suspension, TERMINATED: Subscription._check_termination,
}


def ends_on(sub: Subscription, s: Standing, terms: BtbTerms) -> date | None:
    """First day no longer covered: no period starts on or after it."""
    ends = []
    if s.cancellation_notified_at is not None:
        ends.append(cancellation_ends_on(sub, paris_date(s.cancellation_notified_at), terms))
    if s.terminated_at is not None:
        ends.append(paris_date(s.terminated_at))
    return min(ends) if ends else None


def cancellation_ends_on(sub: Subscription, notified_on: date, terms: BtbTerms) -> date:
    """CGPS art. 4.2: at least 15 days before an échéance, never within the first three periods;
    a prepaid quarter runs to its end (CGPS art. 4.3)."""
    block = terms.prepayment.periods if sub.prepaid_quarterly else 1
    k = end_index_after_notice(
        sub.start_date, notified_on, 0, terms.commitment.minimum_periods,
        terms.commitment.notice_days, block,
    )
    return echeance(sub.start_date, k)


def option_first_period(sub: Subscription, span: OptionSpan) -> int:
    """The option is billed from the first échéance on or after its activation (CGPS art. 5.2)."""
    return first_echeance_on_or_after(sub.start_date, paris_date(span.activated_at))


def option_ends_on(sub: Subscription, span: OptionSpan, notified_on: date, terms: BtbTerms) -> date:
    first = option_first_period(sub, span)
    k = end_index_after_notice(
        sub.start_date, notified_on, first, terms.multicanal.minimum_periods,
        terms.multicanal.notice_days,
    )
    return echeance(sub.start_date, k)
