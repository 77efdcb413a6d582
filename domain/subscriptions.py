"""Subscription (CGPS art. 4, 5, 9): plan, fee, option, notice, breach and bookings, as facts.

The contract facts are folded in business-time order into a `Standing` (domain/standing.py),
whatever order they arrived in: billing reads the standing of all of them, each guard the
standing as of its fact's `at` (the rules: domain/subscription_rules.py). The billing rules re-derive end dates from it under any terms
version; the guards judge each fact under the version that governs the contract.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.calendar import paris_date
from domain.ids import aggregate_id
from domain.standing import (
    BOOKED, CANCELLED, NOTICE, OPTION_OFF, OPTION_ON, REMEDY, SUSPENDED, TERMINATED, FormalNotice,
    OptionSpan, Standing, standing,
)
from domain.subscription_rules import (
    cancellation_ends_on, check_booking, check_fact, ends_on, option_ends_on, option_first_period,
)
from domain.terms import BtbTerms
from domain.timeline import Mark, after, judge, place, rejudge, up_to, with_mark

__all__ = ["FormalNotice", "OptionSpan", "Subscription", "cancellation_ends_on", "option_ends_on",
           "option_first_period"]


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
        judge(self.marks, mark, lambda m, earlier: check_fact(self, m, standing(earlier), terms),
              lambda m, earlier: check_fact(self, m, standing(earlier), terms, recorded=True))
        marks = with_mark(self.marks, mark)
        for booking in after(self.bookings, mark.at):
            rejudge(mark, booking, lambda: check_booking(self, booking, standing(up_to(marks, booking.at)), terms))

    def covers(self, day: date, at: datetime, terms: BtbTerms, extra: Mark | None = None) -> bool:
        """Running on `day`, as known at `at`, and not suspended for breach (CGPS art. 9)."""
        s = self.standing_at(at, extra)
        end = ends_on(self, s, terms)
        return self.start_date <= day and (end is None or day < end) and s.suspended_on(day) is None

    # --- commands ---------------------------------------------------------------------

    def book(self, appointment_id: str, starts_at: datetime, stamp: Stamp, terms: BtbTerms) -> None:
        booking = stamp.mark(BOOKED, (appointment_id, paris_date(starts_at)))
        check_booking(self, booking, self.standing_at(stamp.at), terms)
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
