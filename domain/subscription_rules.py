"""The rules a subscription's facts are judged by, against its standing as of each fact
(CGPS art. 4, 5, 9): what ends it, the option, breach, and what a booking needs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from domain.calendar import end_of_day, paris_date
from domain.errors import AppointmentStateError, BreachNoticeRunning, SubscriptionStateError
from domain.periods import echeance, end_index_after_notice, first_echeance_on_or_after
from domain.standing import (
    CANCELLED, NOTICE, OPTION_OFF, OPTION_ON, REMEDY, SUSPENDED, TERMINATED, FormalNotice, OptionSpan, Standing,
)
from domain.terms import BtbTerms
from domain.timeline import Mark, moment

if TYPE_CHECKING:
    from domain.subscriptions import Subscription

ENDS_IT = (OPTION_ON, CANCELLED, NOTICE, SUSPENDED, TERMINATED)


def check_fact(sub: Subscription, mark: Mark, s: Standing, terms: BtbTerms, recorded: bool = False) -> None:
    """Refuses a contract fact that cannot follow standing `s`; `recorded`: a fact recorded already,
    judged again because an earlier-dated one arrived."""
    if mark.kind in ENDS_IT:
        check_not_terminated(sub, s, mark)
    if mark.kind == OPTION_ON:
        check_option_on(sub, mark, s, terms, recorded)
    if mark.kind == OPTION_OFF:
        check_option_off(sub, mark, s, recorded)
    CHECKS.get(mark.kind, lambda *_: None)(sub, mark, s, terms)


def check_not_terminated(sub: Subscription, s: Standing, mark: Mark) -> None:
    if s.terminated_at is not None:
        raise SubscriptionStateError(
            f"subscription {sub.subscription_id!r} was terminated for breach on "
            f"{paris_date(s.terminated_at)}; this {mark.kind} at {moment(mark.at)} is no longer possible"
        )


def check_option_on(sub: Subscription, mark: Mark, s: Standing, terms: BtbTerms, recorded: bool) -> None:
    """A new activation needs the option inactive as of its date. A recorded one that an
    earlier activation arriving late makes redundant still stands (its notice may be on its
    way): the fold then leaves it out while the earlier span runs."""
    option = mark.data[0]
    end = ends_on(sub, s, terms)
    if end is not None and paris_date(mark.at) >= end:
        raise SubscriptionStateError(
            f"subscription {sub.subscription_id!r} ended on {end}; activating an option is not possible"
        )
    span = s.active_option(option)
    if span is not None and not recorded:
        raise SubscriptionStateError(
            f"subscription {sub.subscription_id!r} already has the {option} option active since "
            f"{moment(span.activated_at)}"
        )


def check_option_off(sub: Subscription, mark: Mark, s: Standing, recorded: bool) -> None:
    """A new notice needs the option active as of its date. A recorded one that an earlier
    notice arriving late makes redundant still stands: it changes nothing then."""
    span = s.latest_option(mark.data) if recorded else s.active_option(mark.data)
    if span is None:
        raise SubscriptionStateError(
            f"subscription {sub.subscription_id!r} has no active {mark.data} option at "
            f"{moment(mark.at)}; record its subscription.option_activated, dated before, first"
        )


def check_cancellation(sub: Subscription, mark: Mark, s: Standing, terms: BtbTerms) -> None:
    if s.cancellation_notified_at is not None:
        raise SubscriptionStateError(
            f"subscription {sub.subscription_id!r} was already cancelled on "
            f"{moment(s.cancellation_notified_at)}; it ends on {ends_on(sub, s, terms)}"
        )


def check_remedy(sub: Subscription, mark: Mark, s: Standing, terms: BtbTerms) -> None:
    running_notice(sub, s, mark, "a remedy")


def check_suspension(sub: Subscription, mark: Mark, s: Standing, terms: BtbTerms) -> None:
    notice_ran_out(sub, s, mark, terms, "suspension")
    suspended = s.suspension()
    if suspended is not None:
        raise SubscriptionStateError(
            f"subscription {sub.subscription_id!r} is already suspended since {paris_date(suspended.suspended_at)}"
        )


def check_termination(sub: Subscription, mark: Mark, s: Standing, terms: BtbTerms) -> None:
    notice_ran_out(sub, s, mark, terms, "termination")


def notice_ran_out(sub: Subscription, s: Standing, mark: Mark, terms: BtbTerms, what: str) -> FormalNotice:
    notice = running_notice(sub, s, mark, f"a {what} for breach")
    allowed_from = end_of_day(paris_date(notice.sent_at) + timedelta(days=terms.breach.remedy_days))
    if mark.at <= allowed_from:
        # CGPS art. 9
        raise BreachNoticeRunning(
            f"the formal notice of {paris_date(notice.sent_at)} runs for "
            f"{terms.breach.remedy_days} days ({terms.breach.article}); {what} is "
            f"possible from {paris_date(allowed_from) + timedelta(days=1)}"
        )
    return notice


def running_notice(sub: Subscription, s: Standing, mark: Mark, what: str) -> FormalNotice:
    notice = s.running_notice()
    if notice is None:
        raise SubscriptionStateError(
            f"{what} needs a formal notice running on subscription {sub.subscription_id!r} at "
            f"{moment(mark.at)}; record its subscription.formal_notice_sent, dated before, first"
        )
    return notice


def check_booking(sub: Subscription, booking: Mark, s: Standing, terms: BtbTerms) -> None:
    day = booking.data[1]
    suspension = s.suspended_on(day)
    if suspension is not None:
        # CGPS art. 9
        raise AppointmentStateError(
            f"subscription {sub.subscription_id!r} is suspended for breach on {day} (suspension at "
            f"{moment(suspension.suspended_at)}, {terms.breach.article}): no appointment can be "
            "booked on it until the breach is remedied"
        )
    end = ends_on(sub, s, terms)
    if day < sub.start_date or (end is not None and day >= end):
        raise AppointmentStateError(
            f"subscription {sub.subscription_id!r} does not cover {day} at {moment(booking.at)} "
            f"(it runs from {sub.start_date}, ends {end or 'open'})"
        )


CHECKS = {
    CANCELLED: check_cancellation, REMEDY: check_remedy,
    SUSPENDED: check_suspension, TERMINATED: check_termination,
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
