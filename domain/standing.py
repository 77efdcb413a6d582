"""A subscription's contract facts folded in business-time order (CGPS art. 4, 5, 9).

The same fold gives billing the standing of every recorded fact and each guard the standing
as of its fact's `at`: whatever order the facts arrived in, the standing is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.calendar import paris_date
from domain.timeline import Mark

OPTION_ON, OPTION_OFF = "subscription.option_activated", "subscription.option_cancellation_notified"
CANCELLED, NOTICE = "subscription.cancellation_notified", "subscription.formal_notice_sent"
REMEDY, SUSPENDED = "subscription.breach_remedied", "subscription.suspended_for_breach"
TERMINATED, BOOKED = "subscription.terminated_for_breach", "appointment.scheduled"


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


@dataclass
class Standing:
    options: list[OptionSpan] = field(default_factory=list)
    notices: list[FormalNotice] = field(default_factory=list)
    cancellation_notified_at: datetime | None = None
    terminated_at: datetime | None = None

    def active_option(self, option: str) -> OptionSpan | None:
        """The span of the option with no cancellation notified yet."""
        span = self.latest_option(option)
        return span if span is not None and span.cancellation_notified_at is None else None

    def latest_option(self, option: str) -> OptionSpan | None:
        return next((s for s in reversed(self.options) if s.option == option), None)

    def running_notice(self) -> FormalNotice | None:
        """The latest formal notice, while the breach is not remedied."""
        if self.notices and self.notices[-1].remedied_at is None:
            return self.notices[-1]
        return None

    def suspension(self) -> FormalNotice | None:
        """The notice under which the subscription is suspended, until the breach is remedied."""
        return next((n for n in self.notices if n.suspended_at is not None and n.remedied_at is None), None)

    def suspended_on(self, day: date) -> FormalNotice | None:
        return next((notice for notice in self.notices if notice.suspends(day)), None)


def _option_on(s: Standing, mark: Mark) -> None:
    option, fee = mark.data
    if s.active_option(option) is None:
        s.options.append(OptionSpan(option, fee, mark.at))


def _option_off(s: Standing, mark: Mark) -> None:
    span = s.active_option(mark.data)
    if span is not None:
        span.cancellation_notified_at = mark.at


def _cancelled(s: Standing, mark: Mark) -> None:
    s.cancellation_notified_at = s.cancellation_notified_at or mark.at


def _notice(s: Standing, mark: Mark) -> None:
    s.notices.append(FormalNotice(mark.data, mark.at))


def _remedy(s: Standing, mark: Mark) -> None:
    """A remedy ends the breach: every notice still running, and the suspension under it."""
    for notice in s.notices:
        notice.remedied_at = notice.remedied_at or mark.at


def _suspended(s: Standing, mark: Mark) -> None:
    notice = s.running_notice()
    if notice is not None and s.suspension() is None:
        notice.suspended_at = mark.at


def _terminated(s: Standing, mark: Mark) -> None:
    s.terminated_at = s.terminated_at or mark.at


FOLD: dict[str, Callable[[Standing, Mark], None]] = {
    OPTION_ON: _option_on, OPTION_OFF: _option_off, CANCELLED: _cancelled, NOTICE: _notice,
    REMEDY: _remedy, SUSPENDED: _suspended, TERMINATED: _terminated,
}


def standing(marks: list[Mark]) -> Standing:
    """The contract facts of these marks, in their (business-time) order."""
    s = Standing()
    for mark in marks:
        FOLD[mark.kind](s, mark)
    return s
