"""A one-shot `billing advance` after one that billed as far drafts only the clients something was
recorded about since (issue 17; application/billed_runs.py), and issues what drafting every client
issues, on both backends.

The history: 30 BTBCONNECT clients of tests/big_history.py and L'Étincelle's scenario, 8 clients
per partition. Hypothesis picks which facts arrive late (after a first run to the same date): the
run that starts from the first one issues the same documents, byte for byte (each document's hash
covers its content, both parties and the document before it), as `--full` on a copy.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from application.advance_by_parts import advance_by_parts
from application.billed_runs import BilledRun, billed_run, spans
from application.advance_parts import PartDrafts
from infrastructure.advance_run import StoreRun
from infrastructure.billed_run_store import billing_digest, last_billed
from infrastructure.cli.wiring import services
from infrastructure.provider_files import load_identities
from infrastructure.terms_files import load_catalog
from tests.big_history import big_history
from tests.conftest import copied_store, drop_copy
from tests.test_advance_workers import documents
from tests.test_etincelle_scenario import history as ets_history
from tests.test_tamper import verify

TO = "2027-03-31"
FACTS = [*big_history(30, seed=5), *ets_history()]


@pytest.fixture(autouse=True)
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_PART_CLIENTS", "8")


def ingested(db: str, facts: list[dict]) -> None:
    with services(db) as s:
        s.ingest.ingest_lines((json.dumps(f) for f in facts), batch=50)  # the scenario refuses three on purpose


class Counted(StoreRun):
    """The command's run (its `drafted`: the clients it drafted); `meanwhile`: facts recorded by
    another writer once this run has read the log, before it issues."""

    def __init__(self, s, full: bool = False, meanwhile: list[dict] = ()) -> None:
        super().__init__(s, full=full)
        self.meanwhile = list(meanwhile)

    def draft(self, start) -> None:
        super().draft(start)
        if self.meanwhile:
            ingested(self.services.url, self.meanwhile)  # by another writer: its own store connection
            self.meanwhile = []


def advanced(db: str, full: bool = False, meanwhile: list[dict] = ()) -> set[str]:
    """The clients the run drafted."""
    with services(db) as s:
        run = Counted(s, full, meanwhile)
        advance_by_parts(s.advance, date.fromisoformat(TO), run)
        return run.drafted


@pytest.fixture
def stores(db_url: str, tmp_path: Path):
    """Copies of the test's empty store, dropped after the test."""
    made: list[str] = []

    def copy(name: str, of: str = db_url) -> str:
        made.append(copied_store(of, tmp_path, name))
        return made[-1]

    yield copy
    for url in made:
        drop_copy(url)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), late=st.integers(1, 20))
def test_a_run_from_the_last_one_issues_what_drafting_everyone_issues(stores, seed: int, late: int) -> None:
    late_facts = random.Random(seed).sample(FACTS, late)
    first = stores(f"first{seed}_{late}")
    ingested(first, [f for f in FACTS if f not in late_facts])
    advanced(first)
    ingested(first, late_facts)
    incremental, full = stores(f"inc{seed}_{late}", first), stores(f"full{seed}_{late}", first)
    drafted, everyone = advanced(incremental), advanced(full, full=True)
    assert documents(incremental) == documents(full)
    # Each late fact concerns one client at most: those are drafted again, not the 33.
    assert len(drafted) <= late < len(everyone)
    assert advanced(incremental) == set()  # nothing recorded since: nobody drafted, nothing issued
    assert documents(incremental) == documents(full)


def test_the_log_s_seal_covers_the_clients_not_drafted_again(stores) -> None:
    # The seal's chains need every aggregate's provider: those of the clients a run starts from
    # come from the run before. `billing verify` checks the chains, the numbering and the seal.
    late = [f for f in FACTS if f["type"] == "appointment.honoured"][-3:]
    db = stores("sealed")
    ingested(db, [f for f in FACTS if f not in late])
    advanced(db)
    ingested(db, late)
    assert 0 < len(advanced(db)) <= 3
    assert verify(db)[1]["findings"] == []


def test_facts_recorded_while_a_run_drafts_are_drafted_by_the_next(stores) -> None:
    # The last appointment honoured is recorded by another writer after this run read the log:
    # this run does not bill it, the next one (started from this one) does, as `--full` would.
    honoured = [f for f in FACTS if f["type"] == "appointment.honoured"][-1]
    db = stores("meanwhile")
    ingested(db, [f for f in FACTS if f is not honoured])
    advanced(db, meanwhile=[honoured])
    full = stores("meanwhile_full", db)
    assert len(advanced(db)) == 1
    advanced(full, full=True)
    assert documents(db) == documents(full)


def test_a_run_keeps_what_it_billed_and_the_positions_it_wrote(stores) -> None:
    db = stores("kept")
    ingested(db, FACTS)
    advanced(db)
    with services(db) as s, s._sql() as sql:
        billed, head = last_billed(sql), s.app.recorder.max_notification_id()
        written = s.app.recorder.billing_written_after(billed.start)
    assert billed.to == date.fromisoformat(TO) and billed.digest == billing_digest(load_catalog(), load_identities())
    # Everything after its start is its own: documents, sequences, URSSAF's answers, the seal.
    assert written and all(billed.is_own(p) for p, _ in written) and written[-1][0] == head
    assert len(billed.providers) == 33


def test_terms_or_identities_changed_since_make_every_client_drafted() -> None:
    catalog, identities = load_catalog(), load_identities()
    digest = billing_digest(catalog, identities)
    changed = load_catalog()
    terms = changed.all()[0]
    changed._by_ref[terms.reference] = terms.model_copy(update={"reference": terms.reference})
    assert billing_digest(changed, identities) == digest  # the same content
    version = identities.versions[0]
    identities.versions[0] = version.model_copy(update={"name": version.name + " SAS"})
    assert billing_digest(catalog, identities) != digest
    run = BilledRun(date(2027, 3, 31), digest, 100)
    assert run.covers(date(2027, 3, 31), digest, 100) and run.covers(date(2027, 2, 28), digest, 500)
    assert not run.covers(date(2027, 4, 30), digest, 500)  # billed to March only
    assert not run.covers(date(2027, 3, 31), "other", 500)
    assert not run.covers(date(2027, 3, 31), digest, 99)  # a store restored from an older copy


def test_a_run_tells_its_own_positions_from_others() -> None:
    assert spans([7, 3, 4, 5, 9, 10, 4]) == ((3, 5), (7, 7), (9, 10))
    run = billed_run(date(2027, 3, 31), "d", 2, [3, 4, 5, 7, 9, 10],
                     [PartDrafts(providers={"A": "btbconnect"}, urssaf=[]), PartDrafts(providers={"B": "etincelle"},
                                                                                      urssaf=["B"])])
    assert [p for p in range(1, 13) if not run.is_own(p)] == [1, 2, 6, 8, 11, 12]
    owners = {"a1": "A", "b1": "B", "seq": None}
    written = [(3, "a1"), (6, "b1"), (7, "a1"), (8, "seq"), (11, "a1")]
    assert run.changed_clients(written, owners.get) == {"A", "B"}
    assert run.changed_clients(written[:3], owners.get) == {"B"}
    carried = run.carried({"A"})
    assert carried.providers == {"B": "etincelle"} and carried.urssaf == ["B"] and not carried.drafted
    assert BilledRun.from_dict(json.loads(json.dumps(run.as_dict()))) == run


def test_a_run_after_the_scheduler_s_kept_runs_drafts_only_what_changed(stores) -> None:
    # The kept scheduler bills month by month, then late facts come: `billing advance` to the
    # last month-end starts from the scheduler's last run and issues what `--full` issues.
    from infrastructure.scheduler import advance_work

    late = [f for f in FACTS if f["type"] == "appointment.honoured"][-5:]
    db = stores("kept_scheduler")
    ingested(db, [f for f in FACTS if f not in late])
    work = advance_work(db)
    for month_end in ("2027-01-31", "2027-02-28", TO):
        work(date.fromisoformat(month_end))
    ingested(db, late)
    full = stores("kept_scheduler_full", db)
    assert 0 < len(advanced(db)) <= 5
    advanced(full, full=True)
    assert documents(db) == documents(full)
    assert advanced(db) == set()
