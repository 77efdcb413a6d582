"""The receivables page's answers are worked out ahead of its first load: at start-up and after
each midnight in Paris (infrastructure/http/console/warming.py)."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone

from structlog.testing import capture_logs

from infrastructure.cli.wiring import services
from infrastructure.http.console import reads
from infrastructure.http.console.warming import seconds_to_next_day, warming
from infrastructure.http.tokens import ApiToken
from tests.services import Engine
from tests.test_etincelle_scenario import booked, client, held

AUDITOR = ApiToken("t", "auditor", "auditor", ("btbconnect", "etincelle"), "2026-01-01")
NOW = datetime(2026, 2, 10, 8, 0, tzinfo=timezone.utc)  # 10 February in Paris


def test_the_next_warming_is_a_minute_after_midnight_in_paris() -> None:
    # 23:30 in Paris (CET, UTC+1) on 27 March: midnight in 30 min, then 1 min
    assert seconds_to_next_day(datetime(2026, 3, 27, 22, 30, tzinfo=timezone.utc)) == 31 * 60
    # 00:30 on 29 March, the day clocks go forward at 2:00: 23 h 30 min of wall clock to midnight
    # (CEST), one of them skipped: 22 h 30 min, then 1 min
    assert seconds_to_next_day(datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc)) == (22 * 60 + 31) * 60
    # 00:30 on 25 October, clocks go back at 3:00: one hour lived twice, 24 h 30 min, then 1 min
    assert seconds_to_next_day(datetime(2026, 10, 24, 22, 30, tzinfo=timezone.utc)) == (24 * 60 + 31) * 60


def test_the_page_of_the_day_is_worked_out_before_its_first_load(db_url: str) -> None:
    engine = Engine(db_url)
    try:  # E-A: 1 h at 45 € on 14 January, invoiced on 31 January and not paid
        engine.ingest(client("E-A", "per_session"), *booked("A1", "E-A", "2026-01-14T17:00:00+01:00", 60, "45.00"),
                      held("A1", "2026-01-14T18:00:00+01:00"))
        engine.advance(date(2026, 1, 31))
    finally:
        engine.close()
    with capture_logs() as logs, services(db_url) as s, warming(s, lambda: NOW):
        kept = wait_for_warming(s)
        assert wait_for_log(logs, "console_warmed")["day"] == "2026-02-10"  # what the bench waits for
        assert kept.as_of == date(2026, 2, 10)
        assert list(kept.kept) == ["E-A"]
        warmed, _ = kept.kept["E-A"][1]  # its (rewrites, (row, amounts))
        view = reads.receivables_view(s, AUDITOR, reads.Search(as_of=date(2026, 2, 10)))
        assert view["rows"][0] is warmed and warmed["outstanding"] == "45.00"  # not worked out again
        assert view["revenue"]  # the month's 45 € of January, kept too
        assert "issued_totals" in s.kept


def wait_for_log(logs: list[dict], event: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [entry for entry in list(logs) if entry["event"] == event]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {event} logged")


def wait_for_warming(s, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        kept = s.kept.get("receivables")
        if kept is not None and kept.as_of is not None and "issued_totals" in s.kept:
            return kept
        time.sleep(0.05)
    raise AssertionError("the receivables were not warmed")
