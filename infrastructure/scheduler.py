"""`billing scheduler`: the work of `billing advance --to today`, run by one process at a time,
at start-up (to catch up after downtime) and then on a schedule of the Europe/Paris clock.

- **One leader.** Before acting, a scheduler takes a leadership lock and keeps it for as long as it
  acts: on PostgreSQL a session-level advisory lock held by a connection of its own, on SQLite an
  exclusive `flock` on the side file `<dbfile>.scheduler.lock`. The lock is tried every half
  second, so a scheduler waiting for it still stops at once when asked to. (Issuing is safe
  against concurrent runs anyway, see application/advance.py: the lock spares the duplicate work.)
- **Runs.** Once leader: one run at once, then APScheduler runs it every day at 00:05 Paris time
  (`--at HH:MM`; see DailyTrigger) or every `--every SECONDS`; never two at once, missed runs
  coalesced into one.
  Each run advances to the Paris date of the moment it starts. By default the history a run
  folded is kept for the next one (fast month-ends; memory grows with the history); with
  `--workers N` each run is a one-shot advance by partitions of the clients with N processes
  (memory bounded by a partition; issue 17). A failed run is logged and the
  next one is tried on schedule.
- **Lost lock.** Before each run the leader checks its lock: a PostgreSQL lock dies with its
  connection (server restart, terminated session). A scheduler that lost it stops acting and
  waits for the lock again, like a newcomer.
- **Stop.** SIGTERM or SIGINT: no new run starts, a run under way finishes, the lock is released,
  the process exits 0.

Logs (structlog, JSON on stderr): `scheduler_started`, `scheduler_waiting_for_lock` (once per
wait), `scheduler_acquired_lock`, `scheduler_run_started`, `scheduler_run_finished` (the report:
issued count, first and last numbers) or `scheduler_run_failed` (the error), `scheduler_lock_lost`,
`scheduler_lock_unavailable`, `scheduler_stopping`, `scheduler_lock_released`, `scheduler_stopped`;
APScheduler's own warnings come through as `apscheduler_log`.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import signal
import threading
import time as monotonic_time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from application.advance import AdvanceReport
from application.advance_by_parts import advance_by_parts
from domain.calendar import PARIS, paris_date
from domain.errors import BillingError
from infrastructure.cli.wiring import services
from infrastructure.advance_run import StoreRun
from infrastructure.billed_run_store import keep_kept_run
from infrastructure.clock import system_clock
from infrastructure.locks import FileLeaderLock, LeaderLock, LockUnavailable, PostgresLeaderLock, lock_for

log = structlog.get_logger("billing.scheduler")

TIMEZONE = "Europe/Paris"
DEFAULT_AT = time(0, 5)
# The leadership lock's key: "billschd" (the schema lock of store.py is "bill").
LOCK_KEY = 0x62696C6C73636864  # "billschd"
LOCK_RETRY_SECONDS = 0.5
UNREACHABLE_RETRY_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
JOB_ID = "advance-to-today"


class SchedulerError(BillingError):
    """The scheduler's options are wrong, or it cannot take its lock at start-up."""


# --- When -------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Every day at `at` (Paris), or every `every` seconds when given."""

    at: time = DEFAULT_AT
    every: float | None = None

    def trigger(self) -> BaseTrigger:
        if self.every is not None:
            return IntervalTrigger(seconds=self.every, timezone=PARIS)
        return DailyTrigger(self.at)

    def describe(self) -> str:
        if self.every is not None:
            return f"every {self.every:g} s"
        return f"every day at {self.at:%H:%M} {TIMEZONE}"


class DailyTrigger(BaseTrigger):
    """Once every Paris day, at `at` on its wall clock (at the first moment after it on the
    night the clock skips it; at its first occurrence on the night it comes twice).

    Not APScheduler's CronTrigger: in 3.11 it steps a day forward by adding 24 hours, so from the
    00:05 run of a spring DST day (29 March 2026) its next fire time is 31 March: a day skipped.
    """

    def __init__(self, at: time, tz: ZoneInfo = PARIS):
        self.at = at
        self.tz = tz

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        # In UTC: arithmetic and comparisons on Paris datetimes are on the wall clock.
        after = (previous_fire_time.astimezone(timezone.utc) + timedelta(microseconds=1)
                 if previous_fire_time else now.astimezone(timezone.utc))
        day = after.astimezone(self.tz).date()
        while True:
            candidate = self.on(day)
            if candidate.astimezone(timezone.utc) >= after:
                return candidate
            day += timedelta(days=1)

    def on(self, day: date) -> datetime:
        wall = datetime.combine(day, self.at, tzinfo=self.tz)
        return wall.astimezone(timezone.utc).astimezone(self.tz)  # a skipped time becomes a real one

    def __str__(self) -> str:
        return f"daily[{self.at:%H:%M} {self.tz.key}]"

    def __repr__(self) -> str:
        return f"<DailyTrigger ({self.at:%H:%M} {self.tz.key})>"


def schedule_from_options(every: float | None = None, at: str | None = None) -> Schedule:
    if every is not None and at is not None:
        raise SchedulerError("give --every or --at, not both")
    if every is not None:
        if not math.isfinite(every) or every <= 0:
            raise SchedulerError(f"--every {every:g}: give a positive number of seconds")
        return Schedule(every=every)
    if at is None:
        return Schedule()
    try:
        moment = datetime.strptime(at, "%H:%M").time()
    except ValueError:
        raise SchedulerError(f"--at {at!r} is not a time of day: use HH:MM (00:00 to 23:59)") from None
    return Schedule(at=moment)


# --- What: the work of `billing advance --to today` --------------------------


def paris_today() -> date:
    return paris_date(system_clock())


def advance_work(db: str | None) -> Callable[[date], AdvanceReport]:
    """The store is opened for each run, as `billing advance` does; the history folded by a
    run is kept for the next one, which reads only what was recorded since (a failed run
    forgets it: the next one reads the whole history again). Each run then brings the persisted
    views up to date, as `billing advance` does, and keeps what it billed: a `billing advance`
    to the same date after it drafts only the clients something was recorded about since
    (application/billed_runs.py)."""
    kept: dict[str, Any] = {}

    def advance(day: date) -> AdvanceReport:
        with services(db) as s:
            service = s.advance
            service.ledger, service.billed_up_to = kept.pop("ledger", None), kept.pop("billed_up_to", None)
            head = s.app.recorder.max_notification_id() or 0  # the ledger follows the log past it
            with s.app.recorder.noting() as written:
                report = service.advance(day)
            keep_kept_run(s, day, head, written, service.ledger)
            kept.update(ledger=service.ledger, billed_up_to=service.billed_up_to)
            s.follow_projections()  # as `billing advance`: the reads after the run find the views current
        # The kept ledger lives on: frozen, its millions of objects are no longer walked by the
        # next run's garbage collections (those it drops later are still freed by their count).
        gc.freeze()
        return report

    return advance


def parts_work(db: str | None, workers: int) -> Callable[[date], AdvanceReport]:
    """Each run as `billing advance --workers N` runs (issue 17): the clients drafted a partition
    at a time by `workers` processes, nothing kept between runs. Memory is bounded by a
    partition, not by the history; a run takes as long as a one-shot advance."""
    def advance(day: date) -> AdvanceReport:
        with services(db) as s:
            report = advance_by_parts(s.advance, day, StoreRun(s, helpers=workers - 1))
            s.follow_projections()
            return report

    return advance


def work_for(db: str | None, workers: int | None) -> Callable[[date], AdvanceReport]:
    """By partitions when a number of workers is given, else with the folded history kept."""
    check_workers(workers)
    return advance_work(db) if workers is None else parts_work(db, workers)


def check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise SchedulerError(f"--workers {workers}: give at least one worker")


# --- The scheduler ------------------------------------------------------------


class BillingScheduler:
    """Waits for the lock, then runs `work(today())` at once and on `schedule` until stopped.

    `stop()` may be called from any thread. A run is only ever under way while `_acting` is held
    and `_leader` is true; leadership ends under `_acting`, so it waits for a run under way.
    """

    def __init__(
        self, lock: LeaderLock, schedule: Schedule, work: Callable[[date], AdvanceReport],
        today: Callable[[], date] = paris_today,
    ):
        self.lock = lock
        self.schedule = schedule
        self.work = work
        self.today = today
        self._stop = threading.Event()
        self._stop_reason = "requested"
        self._acting = threading.Lock()
        self._leader = False
        self._lost = False
        self._guard = threading.Lock()
        self._scheduler: BlockingScheduler | None = None
        self._runs = 0
        self._term_runs = 0

    # public

    def run(self) -> int:
        log.info("scheduler_started", pid=os.getpid(), lock=self.lock.name, schedule=self.schedule.describe(),
                 timezone=TIMEZONE)
        first = True
        while not self._stop.is_set():
            if not self._acquire(fail_fast=first):
                break
            first = False
            try:
                self._lead()
            finally:
                self.lock.release()
                log.info("scheduler_lock_released", lock=self.lock.name)
            if not self._lost:
                break
        log.info("scheduler_stopped", reason=self._stop_reason, runs=self._runs)
        return 0

    def stop(self, reason: str = "requested") -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()
            log.info("scheduler_stopping", reason=reason)
        self._halt()

    # leadership

    def _acquire(self, fail_fast: bool) -> bool:
        waiting = False
        while not self._stop.is_set():
            try:
                if self.lock.try_acquire():
                    log.info("scheduler_acquired_lock", lock=self.lock.name, pid=os.getpid())
                    return True
            except LockUnavailable as exc:
                if fail_fast:
                    raise SchedulerError(f"cannot take the scheduler lock {self.lock.name}: {exc}") from None
                log.warning("scheduler_lock_unavailable", lock=self.lock.name, error=str(exc),
                            retry_in_s=UNREACHABLE_RETRY_SECONDS)
                self._stop.wait(UNREACHABLE_RETRY_SECONDS)
                continue
            if not waiting:
                log.info("scheduler_waiting_for_lock", lock=self.lock.name, pid=os.getpid())
                waiting = True
            self._stop.wait(LOCK_RETRY_SECONDS)
        return False

    def _lead(self) -> None:
        self._lost = False
        self._term_runs = 0
        scheduler = BlockingScheduler(
            timezone=TIMEZONE, executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        # First run at once (catch-up), then on the schedule.
        scheduler.add_job(self._job, trigger=self.schedule.trigger(), id=JOB_ID, name="billing advance --to today",
                          max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(PARIS))
        with self._acting:
            self._leader = True
        with self._guard:
            self._scheduler = scheduler
        try:
            scheduler.start()
        finally:
            with self._guard:
                self._scheduler = None
            self._shutdown(scheduler)
            with self._acting:  # waits for a run under way
                self._leader = False

    def _on_started(self, _event: SchedulerEvent) -> None:
        # A stop asked for between the scheduler's creation and its start.
        if self._stop.is_set():
            self._halt()

    def _halt(self) -> None:
        with self._guard:
            scheduler = self._scheduler
        if scheduler is not None:
            self._shutdown(scheduler)

    @staticmethod
    def _shutdown(scheduler: BlockingScheduler) -> None:
        # Jobs out first (under the scheduler's own lock), so nothing is submitted to a closed pool.
        scheduler.remove_all_jobs()
        try:
            scheduler.shutdown(wait=False)  # the run under way is waited for through _acting
        except SchedulerNotRunningError:
            pass

    # runs

    def _job(self) -> None:
        with self._acting:
            if not self._leader or self._stop.is_set():
                return
            if not self.lock.held():
                self._leader = False
                self._lost = True
                log.error("scheduler_lock_lost", lock=self.lock.name)
                self._halt()
                return
            self._run_once()

    def _run_once(self) -> None:
        self._runs += 1
        self._term_runs += 1
        trigger = "start-up" if self._term_runs == 1 else "schedule"
        started = monotonic_time.monotonic()
        try:
            day = self.today()
            log.info("scheduler_run_started", run=self._runs, trigger=trigger, to=day.isoformat())
            report = self.work(day)
        except Exception as exc:  # a failed run must not end the scheduler
            log.error("scheduler_run_failed", run=self._runs, trigger=trigger, error=str(exc) or repr(exc),
                      error_type=type(exc).__name__, duration_s=round(monotonic_time.monotonic() - started, 3))
            return
        summary = report.as_dict()
        numbers = summary.pop("numbers", report.issued)
        log.info("scheduler_run_finished", run=self._runs, trigger=trigger, **summary,
                 first_number=numbers[0] if numbers else None, last_number=numbers[-1] if numbers else None,
                 duration_s=round(monotonic_time.monotonic() - started, 3))


# --- Process plumbing ------------------------------------------------------------


@contextmanager
def stop_on_signals(stop: Callable[[str], None]) -> Iterator[None]:
    """SIGTERM and SIGINT call `stop(name)` from a thread of their own, never from inside
    whatever the main thread was doing. The signals are blocked in this thread (and so in the
    threads it starts) and taken with sigtimedwait by the watcher."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            received = signal.sigtimedwait(STOP_SIGNALS, 0.2)
            if received is not None:
                stop(signal.Signals(received.si_signo).name)

    watcher = threading.Thread(target=watch, name="billing-scheduler-signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        while signal.sigtimedwait(STOP_SIGNALS, 0) is not None:
            pass  # a signal that came after the watcher's last look: we are stopping anyway
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _ToStructlog(logging.Handler):
    """APScheduler logs through the standard library: pass its warnings on as JSON lines."""

    def emit(self, record: logging.LogRecord) -> None:
        fields = {"logger": record.name, "message": record.getMessage()}
        if record.exc_info and record.exc_info[1] is not None:
            fields["error"] = str(record.exc_info[1])
        if record.levelno >= logging.ERROR:
            log.error("apscheduler_log", **fields)
        elif record.levelno >= logging.WARNING:
            log.warning("apscheduler_log", **fields)
        else:
            log.debug("apscheduler_log", **fields)


def route_apscheduler_logs() -> None:
    aps = logging.getLogger("apscheduler")
    if not any(isinstance(h, _ToStructlog) for h in aps.handlers):
        aps.addHandler(_ToStructlog())
    aps.propagate = False


def run_scheduler(db: str | None, every: float | None = None, at: str | None = None,
                  workers: int | None = None) -> int:
    """`billing scheduler`: returns the exit status (0 once stopped by a signal)."""
    schedule = schedule_from_options(every, at)
    work = work_for(db, workers)
    lock = leader_lock_for(db)
    route_apscheduler_logs()
    scheduler = BillingScheduler(lock, schedule, work)
    with stop_on_signals(scheduler.stop):
        return scheduler.run()


def leader_lock_for(db: str | None) -> LeaderLock:
    return lock_for(db, LOCK_KEY, ".scheduler.lock", "billing scheduler")


__all__ = ["FileLeaderLock", "LeaderLock", "LockUnavailable", "PostgresLeaderLock", "leader_lock_for"]
