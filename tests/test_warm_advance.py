"""A service kept between runs, or the scheduler's work (its ledger followed, only changed
clients redrafted) issues exactly what a fresh service each run issues, whatever arrives late
between the runs."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from application.advance import AdvanceService
from domain.calendar import paris_date
from application.ledger import read_ledger
from tests.services import RECORDED_AT, engine_on
from infrastructure.scheduler import advance_work, parts_work
from infrastructure.urssaf_simulator import UrssafSimulator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from bench_lib import history  # noqa: E402

MONTH_ENDS = history.month_ends()


def arrival_schedule(facts: list[dict], seed: int) -> list[list[dict]]:
    """The facts of each month-end run: those of the month, some of them one or two months
    late; a client's facts never overtake each other."""
    rng = random.Random(seed)
    last_step: dict[str, int] = {}
    steps: list[list[dict]] = [[] for _ in MONTH_ENDS]
    for fact in facts:
        day = paris_date(datetime_of(fact["at"]))
        step = next(i for i, end in enumerate(MONTH_ENDS) if day <= end)
        if rng.random() < 0.15:
            step = min(step + rng.choice((1, 2)), len(MONTH_ENDS) - 1)
        owner = str(fact.get("client_id", fact["key"]))
        step = max(step, last_step.get(owner, 0))
        last_step[owner] = step
        steps[step].append(fact)
    return steps


def datetime_of(text: str):
    from datetime import datetime
    return datetime.fromisoformat(text)


def issued(engine) -> list[tuple]:
    return [(d.number, d.key, d.kind, d.client_id, d.issued_on, tuple(d.lines), tuple(d.notes), d.details)
            for d in read_ledger(engine.app).documents()]


def report(advanced) -> dict:
    """What a run did; not the head of the log it sealed, which covers each store's own recorded
    times (the scheduler's clock is the real one)."""
    return {k: v for k, v in advanced.as_dict().items() if k != "log_sealed"}


def kept_service(engine) -> Callable[[date], dict]:
    service = AdvanceService(engine.ingest_service, lambda: RECORDED_AT, UrssafSimulator)
    return lambda day: report(service.advance(day))


def scheduler_work(engine) -> Callable[[date], dict]:
    work = advance_work(engine.url)
    return lambda day: report(work(day))


def scheduler_parts_work(engine) -> Callable[[date], dict]:
    """`billing scheduler --workers 1`: each run by partitions of 2 clients, nothing kept."""
    work = parts_work(engine.url, 1)
    return lambda day: report(work(day))


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("warm_runs", [kept_service, scheduler_work, scheduler_parts_work])
def test_a_kept_history_issues_what_fresh_services_issue(
    backend: str, tmp_path: Path, seed: int, warm_runs: Callable, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BILLING_PART_CLIENTS", "2")
    facts = history.facts(history.Size(subscriptions=8, etincelle_clients=5), seed)
    schedule = arrival_schedule(facts, seed)
    with engine_on(backend, tmp_path) as warm, engine_on(backend, tmp_path) as cold:
        advance_warm = warm_runs(warm)
        for end, arriving in zip(MONTH_ENDS, schedule):
            assert warm.ingest(*arriving).as_dict() == cold.ingest(*arriving).as_dict()
            assert advance_warm(end) == report(AdvanceService(
                cold.ingest_service, lambda: RECORDED_AT, UrssafSimulator).advance(end))
        documents = issued(warm)
        assert documents == issued(cold)
        assert any("corrects" in doc[7] for doc in documents), "no late fact called for a correction"
