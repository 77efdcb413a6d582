"""Facts placed by their business time (INTERPRETATION.md, "Facts judged at their business time").

An aggregate keeps the facts recorded on it, for its rules, as marks ordered by `at` (facts of
the same `at` in arrival order). A new fact is judged against the marks dated up to it, never
against what merely arrived before it; the marks dated after it are then judged again with it in
place, and if one of them could no longer be recorded the new fact is refused, naming it: what
is recorded is never rewritten.
"""

from __future__ import annotations

from bisect import bisect_right, insort_right
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from domain.calendar import PARIS
from domain.errors import BillingError, LaterFactConflict


class Mark(NamedTuple):
    at: datetime
    kind: str  # the type of the fact that recorded it, e.g. "appointment.honoured"
    fact: str | None  # that fact's key (None for events stored before keys were kept)
    data: Any = None  # what the rules about this kind of fact read

    def describe(self) -> str:
        key = f" {self.fact!r}" if self.fact else ""
        return f"{self.kind}{key} at {moment(self.at)}"


Check = Callable[[Mark, list[Mark]], None]


def moment(at: datetime) -> str:
    """A business time as people read it: Paris time, to the minute when that is exact."""
    local = at.astimezone(PARIS)
    exact = local.second == 0 and local.microsecond == 0
    return local.isoformat(timespec="minutes") if exact else local.isoformat()


def _at(mark: Mark) -> datetime:
    return mark.at


def place(marks: list[Mark], mark: Mark) -> None:
    """Inserts by business time, after the marks of the same time (ties keep arrival order)."""
    insort_right(marks, mark, key=_at)


def up_to(marks: list[Mark], at: datetime) -> list[Mark]:
    return marks[:bisect_right(marks, at, key=_at)]


def after(marks: list[Mark], at: datetime) -> list[Mark]:
    return marks[bisect_right(marks, at, key=_at):]


def with_mark(marks: list[Mark], mark: Mark) -> list[Mark]:
    placed = list(marks)
    place(placed, mark)
    return placed


def judge(marks: list[Mark], new: Mark, check: Check, check_later: Check | None = None) -> None:
    """`check(mark, earlier)` raises if `mark` cannot follow `earlier`. Refuses `new` if it cannot
    follow the marks dated up to it, or if a mark dated after it could then no longer follow
    (judged by `check_later` where a recorded fact that `new` makes redundant still stands)."""
    cut = bisect_right(marks, new.at, key=_at)
    earlier = marks[:cut]
    check(new, earlier)
    if cut == len(marks):
        return
    timeline = [*earlier, new]
    for later in marks[cut:]:
        rejudge(new, later, lambda: (check_later or check)(later, timeline))
        timeline.append(later)


def rejudge(new: Mark, later: Mark, check: Callable[[], None]) -> None:
    """Runs the check of a later recorded fact; its refusal becomes the refusal of `new`."""
    try:
        check()
    except BillingError as exc:
        raise LaterFactConflict(
            f"{new.kind} at {moment(new.at)} would make {later.describe()}, recorded already, "
            f"impossible ({exc}); recorded facts are never rewritten: send a fact dated after "
            f"{moment(later.at)} instead"
        ) from None


def first_of(marks: Iterable[Mark], kinds: tuple[str, ...]) -> Mark | None:
    for mark in marks:
        if mark.kind in kinds:
            return mark
    return None


def refuse_after(mark: Mark, earlier: list[Mark], not_after: dict[str, tuple[str, ...]], what: str,
                 error: type[BillingError], states: dict[str, str]) -> None:
    """Refuses `mark` if a fact of a kind it may not follow came before it; `states` says in
    words what each kind of fact made of the aggregate ("was cancelled")."""
    before = first_of(earlier, not_after.get(mark.kind, ()))
    if before is not None:
        raise error(f"{what} {states[before.kind]} ({before.describe()}); this {mark.kind} at "
                    f"{moment(mark.at)} cannot follow it")


def require_before(mark: Mark, earlier: list[Mark], needed: tuple[str, ...], what: str,
                   error: type[BillingError]) -> None:
    if needed and first_of(earlier, needed) is None:
        raise error(f"{what}: this {mark.kind} at {moment(mark.at)} needs a {' or '.join(needed)} "
                    "dated before it; record that first")
