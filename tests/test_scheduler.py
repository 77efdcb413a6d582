"""`billing scheduler`: catches up at start-up, then runs on its schedule; one scheduler acts at a
time (the others wait for the lock), a failed run does not end it, SIGTERM/SIGINT stop it cleanly.

The end-to-end tests run the real command in subprocesses on SQLite and PostgreSQL; the others
drive `BillingScheduler` in-process with a stand-in for the advance work. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from apscheduler.triggers.interval import IntervalTrigger
from structlog.testing import capture_logs

from application.advance import AdvanceReport
from domain.calendar import PARIS, paris_date
from infrastructure.clock import system_clock
from infrastructure.scheduler import (
    BillingScheduler,
    FileLeaderLock,
    PostgresLeaderLock,
    Schedule,
    SchedulerError,
    leader_lock_for,
    schedule_from_options,
)
from tests.billing_cli import REPO, billing_command, billing_json, jsonl, run_billing

WAIT = 60.0  # seconds: the bound of every wait on a scheduler process
POLL = 0.05


def fact(key: str, type_: str, at: str, **fields: object) -> dict:
    return {"key": key, "type": type_, "at": at, **fields}


def history() -> list[dict]:
    """A START subscription from 4 May 2026 with extra appointments, given notice in June: six
    documents, the last one due on 4 July 2026, so the count does not depend on today's date."""
    facts = [
        fact("c-h", "client.registered", "2026-05-02T09:00:00+02:00", client_id="C-HORLOGE",
             provider="btbconnect", name="Cabinet Horloge"),
        fact("pack-h", "starter_pack.ordered", "2026-05-02T10:00:00+02:00", pack_id="P-H", client_id="C-HORLOGE"),
        fact("sub-h", "subscription.started", "2026-05-04T09:00:00+02:00", subscription_id="S-H",
             client_id="C-HORLOGE", plan="START", monthly_fee="390.00"),
    ]
    for i, day in enumerate(["2026-05-06", "2026-05-12", "2026-05-20", "2026-06-03", "2026-06-10"], 1):
        facts.append(fact(f"h{i}-s", "appointment.scheduled", "2026-05-05T09:00:00+02:00", appointment_id=f"H{i}",
                          client_id="C-HORLOGE", starts_at=f"{day}T10:00:00+02:00", subscription_id="S-H"))
        facts.append(fact(f"h{i}-h", "appointment.honoured", f"{day}T11:00:00+02:00", appointment_id=f"H{i}"))
    facts.append(fact("sub-h-x", "subscription.cancellation_notified", "2026-06-15T10:00:00+02:00",
                      subscription_id="S-H"))
    return facts


def late_client() -> list[dict]:
    """Facts recorded later on: one more Starter Pack invoice to issue."""
    return [
        fact("c-l", "client.registered", "2026-09-01T09:00:00+02:00", client_id="C-TARD",
             provider="btbconnect", name="Agence Tardive"),
        fact("pack-l", "starter_pack.ordered", "2026-09-02T10:00:00+02:00", pack_id="P-TARD", client_id="C-TARD"),
    ]


def today() -> date:
    return paris_date(system_clock())


def numbered(db: str) -> list[tuple[str, str]]:
    return [(i["number"], i["key"]) for i in billing_json("invoices", db=db)]


def assert_no_duplicate_no_gap(documents: list[tuple[str, str]]) -> None:
    numbers = [number for number, _ in documents]
    assert numbers == [f"BTB-2026-{n:05d}" for n in range(1, len(numbers) + 1)], numbers
    assert len({key for _, key in documents}) == len(documents), documents


# --- A `billing scheduler` process -------------------------------------------------------------


class SchedulerProcess:
    """`billing scheduler --every SECONDS --db URL` in a subprocess; its JSON log lines are read
    from stderr as they come."""

    def __init__(self, db: str, every: float = 1.0, options: tuple[str, ...] = ()):
        env = {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "info", "BILLING_PART_CLIENTS": "1"}
        env.pop("BILLING_URSSAF_URL", None)
        self.proc = subprocess.Popen(
            [*billing_command(), "scheduler", "--every", str(every), "--db", db, *options], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def events(self, name: str | None = None) -> list[dict]:
        parsed = [json.loads(line) for line in list(self.lines) if line.startswith("{")]
        return [e for e in parsed if not name or e.get("event") == name]

    def not_json(self) -> list[str]:
        return [line for line in list(self.lines) if not line.startswith("{")]

    def log(self) -> str:
        return "\n".join(self.lines[-40:])

    def wait_for(self, name: str, count: int = 1, where: Callable[[dict], bool] = lambda e: True,
                 timeout: float = WAIT) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events(name) if where(e)]
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                self._reader.join(5)
                found = [e for e in self.events(name) if where(e)]
                if len(found) >= count:
                    return found
                raise AssertionError(f"scheduler exited ({self.proc.returncode}) before {count} × {name}:\n"
                                     f"{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} × {name} within {timeout:g} s:\n{self.log()}")
            time.sleep(POLL)

    def first_of(self, *names: str) -> str:
        """Which of these events comes first."""
        self.wait_for("", where=lambda e: e.get("event") in names)
        return next(e["event"] for e in self.events() if e.get("event") in names)

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = WAIT) -> int:
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"scheduler still running {timeout:g} s after {sig.name}:\n{self.log()}") from None
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def start_scheduler() -> Iterator[Callable[..., SchedulerProcess]]:
    started: list[SchedulerProcess] = []

    def start(db: str, every: float = 1.0, options: tuple[str, ...] = ()) -> SchedulerProcess:
        started.append(SchedulerProcess(db, every, options))
        return started[-1]

    try:
        yield start
    finally:
        for process in started:
            process.kill()


# --- End to end ------------------------------------------------------------------------------


def test_scheduler_catches_up_and_a_second_one_waits_without_issuing(
    db_url: str, tmp_path: Path, start_scheduler: Callable[..., SchedulerProcess],
) -> None:
    run_billing("ingest", "-", db=db_url, stdin=jsonl(history()))
    reference = "sqlite:///" + str((tmp_path / "reference.db").resolve())
    run_billing("ingest", "-", db=reference, stdin=jsonl(history()))
    billing_json("advance", "--to", today().isoformat(), db=reference)
    expected = numbered(reference)
    assert len(expected) == 6

    first = start_scheduler(db_url)
    first.wait_for("scheduler_acquired_lock")
    caught_up = first.wait_for("scheduler_run_finished")[0]
    assert caught_up["trigger"] == "start-up"
    assert caught_up["issued"] == len(expected)
    assert (caught_up["first_number"], caught_up["last_number"]) == (expected[0][0], expected[-1][0])
    assert numbered(db_url) == expected

    second = start_scheduler(db_url)
    assert second.first_of("scheduler_waiting_for_lock", "scheduler_acquired_lock") == "scheduler_waiting_for_lock"
    runs = len(first.events("scheduler_run_finished"))
    first.wait_for("scheduler_run_finished", count=runs + 2)  # the leader goes on meanwhile
    for name in ("scheduler_acquired_lock", "scheduler_run_started", "document_issued"):
        assert second.events(name) == [], second.log()
    assert [e["issued"] for e in first.events("scheduler_run_finished")[1:]] == [0] * (
        len(first.events("scheduler_run_finished")) - 1)

    assert second.stop(signal.SIGTERM) == 0  # the waiting one first: it must not take over here
    assert first.stop(signal.SIGTERM) == 0
    for process in (first, second):
        assert process.events("scheduler_stopped"), process.log()
        assert process.events("scheduler_stopped")[0]["reason"] == "SIGTERM"
        assert process.events("scheduler_run_failed") == []
        assert process.not_json() == []
    assert second.events("scheduler_acquired_lock") == []
    # each run followed the projections after it: the last one left no lag (read once both stopped,
    # for the leader runs every second and each run seals the log)
    assert [view["lag"] for view in billing_json("projections", "status", db=db_url)] == [0] * 5
    documents = numbered(db_url)
    assert documents == expected
    assert_no_duplicate_no_gap(documents)


def test_scheduler_with_workers_advances_by_partitions_and_issues_the_same(
    db_url: str, tmp_path: Path, start_scheduler: Callable[..., SchedulerProcess],
) -> None:
    facts = history() + late_client()  # two clients: two partitions of one client each
    run_billing("ingest", "-", db=db_url, stdin=jsonl(facts))
    reference = "sqlite:///" + str((tmp_path / "reference.db").resolve())
    run_billing("ingest", "-", db=reference, stdin=jsonl(facts))
    billing_json("advance", "--to", today().isoformat(), db=reference)
    expected = numbered(reference)
    assert len(expected) == 7  # six of C-HORLOGE, C-TARD's Starter Pack

    scheduler = start_scheduler(db_url, options=("--workers", "2"))
    caught_up = scheduler.wait_for("scheduler_run_finished")[0]
    assert caught_up["issued"] == len(expected)
    assert [view["lag"] for view in billing_json("projections", "status", db=db_url)] == [0] * 5
    scheduler.wait_for("scheduler_run_finished", count=2)
    assert scheduler.stop(signal.SIGTERM) == 0
    assert [e["issued"] for e in scheduler.events("scheduler_run_finished")[1:]] == [0] * (
        len(scheduler.events("scheduler_run_finished")) - 1)
    assert scheduler.events("advance_part_drafted"), scheduler.log()
    assert scheduler.events("scheduler_run_failed") == [] and scheduler.not_json() == []
    assert numbered(db_url) == expected


def test_second_scheduler_takes_over_when_the_first_stops(
    db_url: str, start_scheduler: Callable[..., SchedulerProcess],
) -> None:
    run_billing("ingest", "-", db=db_url, stdin=jsonl(history()))
    first = start_scheduler(db_url)
    assert first.wait_for("scheduler_run_finished")[0]["issued"] == 6
    second = start_scheduler(db_url)
    assert second.first_of("scheduler_waiting_for_lock", "scheduler_acquired_lock") == "scheduler_waiting_for_lock"

    assert first.stop(signal.SIGTERM) == 0
    assert [e["event"] for e in first.events()][-2:] == ["scheduler_lock_released", "scheduler_stopped"]
    run_billing("ingest", "-", db=db_url, stdin=jsonl(late_client()))

    second.wait_for("scheduler_acquired_lock")
    issuing = second.wait_for("scheduler_run_finished", where=lambda e: e["issued"] > 0)[0]
    assert (issuing["issued"], issuing["first_number"]) == (1, "BTB-2026-00007")
    runs = len(second.events("scheduler_run_finished"))
    second.wait_for("scheduler_run_finished", count=runs + 1)
    assert second.stop(signal.SIGINT) == 0
    assert second.events("scheduler_stopped")[0]["reason"] == "SIGINT"
    assert sum(e["issued"] for e in second.events("scheduler_run_finished")) == 1

    documents = numbered(db_url)
    assert_no_duplicate_no_gap(documents)
    assert documents[-1] == ("BTB-2026-00007", "btb:pack:P-TARD")


def test_command_refuses_wrong_options_before_touching_the_database(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    for options, message in ((["--at", "25:00"], "--at '25:00' is not a time of day"),
                             (["--every", "0"], "--every 0: give a positive number of seconds"),
                             (["--workers", "0"], "--workers 0: give at least one worker")):
        result = run_billing("scheduler", *options, db=str(db), check=False)
        assert result.returncode == 1, result.stderr
        assert message in result.stderr
    result = run_billing("scheduler", "--at", "01:00", "--every", "5", db=str(db), check=False)
    assert result.returncode == 2 and "not allowed with" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unreachable_database_at_start_up_is_an_error() -> None:
    started = time.monotonic()
    result = run_billing("scheduler", db="postgresql://postgres@127.0.0.1:1/nothing", check=False)
    assert result.returncode == 1, result.stderr
    assert "cannot take the scheduler lock" in result.stderr
    assert time.monotonic() - started < 30


# --- When it runs -----------------------------------------------------------------------------


def test_default_schedule_is_every_day_at_0005_paris_time_across_a_dst_change() -> None:
    trigger = schedule_from_options().trigger()
    first = trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, 0, tzinfo=PARIS))
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert first == datetime(2026, 3, 29, 0, 5, tzinfo=PARIS)
    assert first.utcoffset() == timedelta(hours=1)
    assert second == datetime(2026, 3, 30, 0, 5, tzinfo=PARIS)
    assert second.utcoffset() == timedelta(hours=2)


def test_daily_run_at_a_time_the_clock_skips_or_repeats_happens_once_that_day() -> None:
    trigger = schedule_from_options(at="02:30").trigger()
    spring = trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, 0, tzinfo=PARIS))
    assert spring == datetime(2026, 3, 29, 3, 30, tzinfo=PARIS)  # 02:30 does not exist that night
    assert spring.utcoffset() == timedelta(hours=2)
    assert trigger.get_next_fire_time(spring, spring) == datetime(2026, 3, 30, 2, 30, tzinfo=PARIS)
    autumn = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, 0, tzinfo=PARIS))
    assert autumn.utcoffset() == timedelta(hours=2)  # the first of the two 02:30
    after = trigger.get_next_fire_time(autumn, autumn + timedelta(hours=1, seconds=1))
    assert after == datetime(2026, 10, 26, 2, 30, tzinfo=PARIS)


def test_at_and_every_options() -> None:
    at = schedule_from_options(at="06:30").trigger()
    assert at.get_next_fire_time(None, datetime(2026, 7, 1, 7, 0, tzinfo=PARIS)) == datetime(
        2026, 7, 2, 6, 30, tzinfo=PARIS)
    every = schedule_from_options(every=2.5).trigger()
    assert isinstance(every, IntervalTrigger) and every.interval == timedelta(seconds=2.5)
    for wrong in ({"at": "7h"}, {"at": "24:00"}, {"every": -1.0}, {"every": float("nan")},
                  {"every": 5.0, "at": "01:00"}):
        with pytest.raises(SchedulerError):
            schedule_from_options(**wrong)


# --- In-process: runs, stop, locks --------------------------------------------------------------


def run_in_thread(scheduler: BillingScheduler) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(scheduler.run()), daemon=True)
    thread.start()
    return thread, result


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout:g} s"
        time.sleep(POLL)


def test_failed_run_is_logged_and_the_next_one_runs(tmp_path: Path) -> None:
    calls: list[date] = []

    def work(day: date) -> AdvanceReport:
        calls.append(day)
        if len(calls) == 1:
            raise RuntimeError("database on fire")
        return AdvanceReport(day, issued=["BTB-2026-00001", "BTB-2026-00002"])

    scheduler = BillingScheduler(FileLeaderLock(tmp_path / "a.lock"), Schedule(every=0.2), work,
                                 today=lambda: date(2026, 11, 21))
    with capture_logs() as logs:
        thread, result = run_in_thread(scheduler)
        try:
            wait_until(lambda: len(calls) >= 2)
        finally:
            scheduler.stop("test")
            thread.join(15)
    assert result == [0]
    failed = [e for e in logs if e["event"] == "scheduler_run_failed"]
    assert [(e["run"], e["trigger"], e["error"], e["error_type"]) for e in failed] == [
        (1, "start-up", "database on fire", "RuntimeError")]
    finished = [e for e in logs if e["event"] == "scheduler_run_finished"][0]
    assert (finished["run"], finished["trigger"], finished["to"], finished["issued"]) == (
        2, "schedule", "2026-11-21", 2)
    assert (finished["first_number"], finished["last_number"]) == ("BTB-2026-00001", "BTB-2026-00002")


def test_stop_waits_for_the_run_under_way_then_releases_the_lock(tmp_path: Path) -> None:
    entered, finish = threading.Event(), threading.Event()

    def work(day: date) -> AdvanceReport:
        entered.set()
        finish.wait(15)
        return AdvanceReport(day)

    path = tmp_path / "b.lock"
    scheduler = BillingScheduler(FileLeaderLock(path), Schedule(every=3600), work, today=lambda: date(2026, 6, 1))
    other = FileLeaderLock(path)
    with capture_logs() as logs:
        thread, result = run_in_thread(scheduler)
        try:
            assert entered.wait(15)
            scheduler.stop("test")
            thread.join(0.5)
            assert thread.is_alive()  # the run under way is not cut short
            assert not other.try_acquire()  # and the lock is still held meanwhile
        finally:
            finish.set()
            thread.join(15)
    assert result == [0]
    assert other.try_acquire()
    other.release()
    names = [e["event"] for e in logs]
    assert names.index("scheduler_run_finished") < names.index("scheduler_lock_released") < names.index(
        "scheduler_stopped")
    assert names.count("scheduler_run_started") == 1


def test_file_lock_is_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "billing.db.scheduler.lock"
    first, second = FileLeaderLock(path), FileLeaderLock(path)
    assert first.try_acquire()
    assert not second.try_acquire()
    assert path.read_text() == f"{os.getpid()}\n"
    first.release()
    assert second.try_acquire()
    second.release()
    assert leader_lock_for("sqlite:///" + str(tmp_path / "billing.db")).name == str(path)


def test_postgres_lock_is_exclusive_and_lost_with_its_session(pg_url: str) -> None:
    first, second = leader_lock_for(pg_url), leader_lock_for(pg_url)
    assert isinstance(first, PostgresLeaderLock) and isinstance(second, PostgresLeaderLock)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.held()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first.backend_pid(),))
        wait_until(lambda: not first.held())
        wait_until(second.try_acquire)
    finally:
        first.release()
        second.release()


def test_leader_that_lost_its_postgres_lock_waits_for_it_again(pg_url: str) -> None:
    lock = leader_lock_for(pg_url)
    assert isinstance(lock, PostgresLeaderLock)
    sessions: list[int | None] = []

    def work(day: date) -> AdvanceReport:
        sessions.append(lock.backend_pid())
        return AdvanceReport(day)

    scheduler = BillingScheduler(lock, Schedule(every=0.2), work, today=lambda: date(2026, 6, 1))
    with capture_logs() as logs:
        thread, result = run_in_thread(scheduler)
        try:
            wait_until(lambda: len(sessions) >= 1)
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (sessions[0],))
            wait_until(lambda: sessions[-1] != sessions[0])
        finally:
            scheduler.stop("test")
            thread.join(15)
    assert result == [0]
    names = [e["event"] for e in logs]
    assert "scheduler_lock_lost" in names
    assert names.count("scheduler_acquired_lock") == 2
    restarted = [e for e in logs if e["event"] == "scheduler_run_started" and e["trigger"] == "start-up"]
    assert len(restarted) == 2  # catch-up again once leader again
