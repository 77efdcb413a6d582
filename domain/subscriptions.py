"""Subscription (CGPS art. 4, 5, 9): plan, fee, option, notice and breach, as recorded facts.

The billing rules re-derive end dates from these facts under any terms version; the guards
here judge each fact under the version that governs the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.base import BillingAggregate
from domain.calendar import end_of_day, paris_date
from domain.errors import BreachNoticeRunning, SubscriptionStateError
from domain.ids import aggregate_id
from domain.periods import echeance, end_index_after_notice, first_echeance_on_or_after
from domain.terms import BtbTerms


@dataclass
class OptionSpan:
    option: str
    monthly_fee_ht: Decimal
    activated_at: datetime
    cancellation_notified_at: datetime | None = None


@dataclass
class FormalNotice:
    reason: str
    sent_at: datetime
    remedied_at: datetime | None = None
    suspended_at: datetime | None = None

    def suspends(self, day: date) -> bool:
        """CGPS art. 9: from the suspension until the breach is remedied."""
        return (self.suspended_at is not None and paris_date(self.suspended_at) <= day
                and (self.remedied_at is None or paris_date(self.remedied_at) > day))


class Subscription(BillingAggregate):
    class SubscriptionStarted(BillingAggregate.Created):
        subscription_id: str
        client_id: str
        plan: str
        monthly_fee: Decimal
        prepaid_quarterly: bool
        terms: str

    class OptionActivated(BillingAggregate.Event):
        option: str
        monthly_fee_ht: Decimal

        def apply(self, sub: Subscription) -> None:
            sub.options.append(OptionSpan(self.option, self.monthly_fee_ht, self.at))

    class OptionCancellationNotified(BillingAggregate.Event):
        option: str
        ends_on: date

        def apply(self, sub: Subscription) -> None:
            sub.active_option(self.option).cancellation_notified_at = self.at

    class CancellationNotified(BillingAggregate.Event):
        ends_on: date

        def apply(self, sub: Subscription) -> None:
            sub.cancellation_notified_at = self.at

    class FormalNoticeSent(BillingAggregate.Event):
        reason: str

        def apply(self, sub: Subscription) -> None:
            sub.notices.append(FormalNotice(self.reason, self.at))

    class BreachRemedied(BillingAggregate.Event):
        def apply(self, sub: Subscription) -> None:
            sub.notices[-1].remedied_at = self.at

    class SuspendedForBreach(BillingAggregate.Event):
        def apply(self, sub: Subscription) -> None:
            sub.notices[-1].suspended_at = self.at

    class TerminatedForBreach(BillingAggregate.Event):
        def apply(self, sub: Subscription) -> None:
            sub.terminated_at = self.at

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
        self.options: list[OptionSpan] = []
        self.cancellation_notified_at: datetime | None = None
        self.notices: list[FormalNotice] = []
        self.terminated_at: datetime | None = None

    @staticmethod
    def id_for(subscription_id: str) -> UUID:
        return aggregate_id("subscription", subscription_id)

    @classmethod
    def start(
        cls, subscription_id: str, client_id: str, plan: str, monthly_fee: Decimal,
        prepaid_quarterly: bool, terms: str, at: datetime, recorded_at: datetime,
    ) -> Subscription:
        return cls._create(
            cls.SubscriptionStarted, id=cls.id_for(subscription_id), timestamp=recorded_at,
            subscription_id=subscription_id, client_id=client_id, plan=plan,
            monthly_fee=monthly_fee, prepaid_quarterly=prepaid_quarterly, terms=terms, at=at,
        )

    @property
    def start_date(self) -> date:
        return paris_date(self.started_at)

    def active_option(self, option: str) -> OptionSpan:
        spans = [s for s in self.options if s.option == option and s.cancellation_notified_at is None]
        if not spans:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} has no active {option} option"
            )
        return spans[-1]

    def running_notice(self) -> FormalNotice | None:
        if self.notices and self.notices[-1].remedied_at is None:
            return self.notices[-1]
        return None

    # --- guards -----------------------------------------------------------------------

    def _check_not_terminated(self, what: str) -> None:
        if self.terminated_at is not None:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} was terminated for breach on "
                f"{paris_date(self.terminated_at)}; {what} is no longer possible"
            )

    def _check_not_before_start(self, at: datetime, what: str) -> None:
        if at < self.started_at:
            raise SubscriptionStateError(
                f"{what} at {at.isoformat()} is before subscription {self.subscription_id!r} "
                f"started ({self.started_at.isoformat()})"
            )

    def _check_not_ended(self, at: datetime, terms: BtbTerms, what: str) -> None:
        ends_on = self.ends_on(terms)
        if ends_on is not None and paris_date(at) >= ends_on:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} ended on {ends_on}; {what} is not possible"
            )

    # --- commands ---------------------------------------------------------------------

    def activate_option(
        self, option: str, monthly_fee_ht: Decimal, at: datetime, recorded_at: datetime,
        terms: BtbTerms,
    ) -> None:
        self._check_not_terminated("activating an option")
        self._check_not_before_start(at, "the option activation")
        self._check_not_ended(at, terms, "activating an option")
        if any(s.option == option and s.cancellation_notified_at is None for s in self.options):
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} already has the {option} option active"
            )
        self.record(self.OptionActivated, at, recorded_at, option=option, monthly_fee_ht=monthly_fee_ht)

    def notify_option_cancellation(
        self, option: str, at: datetime, recorded_at: datetime, terms: BtbTerms,
    ) -> None:
        span = self.active_option(option)
        if at < span.activated_at:
            raise SubscriptionStateError(f"the {option} option was activated after {at.isoformat()}")
        ends_on = option_ends_on(self, span, paris_date(at), terms)
        self.record(self.OptionCancellationNotified, at, recorded_at, option=option, ends_on=ends_on)

    def notify_cancellation(self, at: datetime, recorded_at: datetime, terms: BtbTerms) -> None:
        self._check_not_terminated("a cancellation")
        self._check_not_before_start(at, "the cancellation")
        if self.cancellation_notified_at is not None:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} was already cancelled; it ends on "
                f"{self.ends_on(terms)}"
            )
        ends_on = cancellation_ends_on(self, paris_date(at), terms)
        self.record(self.CancellationNotified, at, recorded_at, ends_on=ends_on)

    def send_formal_notice(self, reason: str, at: datetime, recorded_at: datetime) -> None:
        self._check_not_terminated("a formal notice")
        running = self.running_notice()
        if running is not None:
            raise SubscriptionStateError(
                f"a formal notice is already running since {running.sent_at.isoformat()}; "
                "record breach_remedied or terminated_for_breach first"
            )
        self.record(self.FormalNoticeSent, at, recorded_at, reason=reason)

    def remedy_breach(self, at: datetime, recorded_at: datetime) -> None:
        self._require_running_notice("a remedy")
        self.record(self.BreachRemedied, at, recorded_at)

    def terminate_for_breach(self, at: datetime, recorded_at: datetime, terms: BtbTerms) -> None:
        self._check_not_terminated("a termination")
        self._check_notice_ran_out(at, terms, "termination")
        self.record(self.TerminatedForBreach, at, recorded_at)

    def suspend_for_breach(self, at: datetime, recorded_at: datetime, terms: BtbTerms) -> None:
        self._check_not_terminated("a suspension")
        notice = self._check_notice_ran_out(at, terms, "suspension")
        if notice.suspended_at is not None:
            raise SubscriptionStateError(
                f"subscription {self.subscription_id!r} is already suspended since {paris_date(notice.suspended_at)}"
            )
        self.record(self.SuspendedForBreach, at, recorded_at)

    def _check_notice_ran_out(self, at: datetime, terms: BtbTerms, what: str) -> FormalNotice:
        notice = self._require_running_notice(f"a {what} for breach")
        allowed_from = end_of_day(paris_date(notice.sent_at) + timedelta(days=terms.breach.remedy_days))
        if at <= allowed_from:
            # CGPS art. 9
            raise BreachNoticeRunning(
                f"the formal notice of {paris_date(notice.sent_at)} runs for "
                f"{terms.breach.remedy_days} days ({terms.breach.article}); {what} is "
                f"possible from {paris_date(allowed_from) + timedelta(days=1)}"
            )
        return notice

    def suspended_on(self, day: date) -> bool:
        return any(notice.suspends(day) for notice in self.notices)

    def _require_running_notice(self, what: str) -> FormalNotice:
        notice = self.running_notice()
        if notice is None:
            raise SubscriptionStateError(
                f"{what} needs a formal notice running on subscription {self.subscription_id!r}; "
                "record formal_notice_sent first"
            )
        return notice

    def ends_on(self, terms: BtbTerms) -> date | None:
        """First day no longer covered: no period starts on or after it."""
        ends = []
        if self.cancellation_notified_at is not None:
            ends.append(cancellation_ends_on(self, paris_date(self.cancellation_notified_at), terms))
        if self.terminated_at is not None:
            ends.append(paris_date(self.terminated_at))
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
