"""`billing advance` by partitions of the clients, shared by workers (issue 17), on both backends.

One history (60 BTBCONNECT clients of tests/big_history.py and the three L'Étincelle clients of
the scenario, 8 clients per partition: 8 partitions) is recorded once and copied. On each copy:
- one worker issues the reference documents;
- three `billing advance` processes started at once (as on three machines) issue the same
  documents, byte for byte (each document's hash covers its content, both parties and the
  hash of the document before it), with the same numbers;
- three processes of which one is killed (SIGKILL) at a random moment, then one more run, issue
  them too;
and `billing verify` finds nothing on any of them (the numbering, the chains, the log's seal).
In process: the partitions' drafts, merged, are those of one fold of the whole log, whatever the
number of partitions; and a partition's drafts come back unchanged from their stored form.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from application.advance import due_drafts
from application.advance_by_parts import run_start
from application.advance_parts import (Drafted, PartDrafts, RunStart, after_issuing_of, attestable_before_issuing,
                                      draft_part, groups, merged_drafts, part_of)
from application.client_folds import client_ledger, documents_horizon
from application.issuer import Issuer
from application.ledger import read_ledger
from domain.documents import Draft
from domain.urssaf_account import UrssafAccount
from infrastructure.store import open_app
from infrastructure.terms_files import load_catalog
from infrastructure.view_sql import SqlSession
from projections.stream_queries import all_clients
from tests.big_history import big_history
from tests.billing_cli import REPO, billing_command, billing_json, jsonl, run_billing
from tests.conftest import copied_store, drop_copy
from tests.test_etincelle_scenario import history as ets_history
from tests.test_tamper import verify

TO = "2027-03-31"
SEED = 17
ENV = {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "warning", "BILLING_PART_CLIENTS": "8"}


@pytest.fixture
def recorded(db_url: str) -> str:
    billing_json("ingest", "-", db=db_url, stdin=jsonl([*big_history(60, seed=SEED), *ets_history()]),
                 check=False)  # the scenario refuses three of its facts on purpose
    return db_url


@pytest.fixture
def copies(recorded: str, tmp_path: Path):
    made: list[str] = []

    def copy(name: str) -> str:
        made.append(copied_store(recorded, tmp_path, name))
        return made[-1]

    yield copy
    for url in made:
        drop_copy(url)


def started(db: str) -> subprocess.Popen:
    return subprocess.Popen([*billing_command(), "advance", "--to", TO, "--workers", "1", "--db", db], cwd=REPO,
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def documents(db: str) -> list[tuple]:
    app = open_app(db)
    try:
        return [(d.number, d.issued_on, d.key, d.hash) for d in read_ledger(app, facts=False).documents()]
    finally:
        app.close()


def one_worker(db: str) -> tuple[list[tuple], float]:
    """The reference documents, and how long one worker took to issue them."""
    start = time.monotonic()
    subprocess.run([*billing_command(), "advance", "--to", TO, "--workers", "1", "--db", db], cwd=REPO, env=ENV,
                   check=True, capture_output=True)
    found = documents(db)
    assert len(found) > 500 and {n[:3] for n, *_ in found} == {"BTB", "ETS"}
    return found, time.monotonic() - start


def test_three_workers_issue_what_one_issues(copies) -> None:
    reference, _ = one_worker(copies("one"))
    three = copies("three")
    runs = [started(three) for _ in range(3)]
    assert [(run.wait(timeout=600), run.stderr.read()) for run in runs] == [(0, "")] * 3
    assert documents(three) == reference
    assert verify(three)[1]["findings"] == []


def test_a_killed_worker_leaves_its_partitions_to_the_others(copies) -> None:
    reference, seconds = one_worker(copies("one"))
    draw = random.Random(SEED)
    for attempt in range(3):  # until a kill lands before the run is over
        killed = copies(f"killed{attempt}")
        runs = [started(killed) for _ in range(3)]
        time.sleep(draw.uniform(0.2, 0.6) * seconds / (attempt + 1))  # a moment of drafting, or of issuing
        runs[1].send_signal(signal.SIGKILL)
        codes = [run.wait(timeout=600) for run in runs]
        if codes[1] == -signal.SIGKILL:
            break
    assert codes == [0, -signal.SIGKILL, 0]
    run_billing("advance", "--to", TO, db=killed)  # what a killed issuer left, issued by the next run
    assert documents(killed) == reference
    assert verify(killed)[1]["findings"] == []


@pytest.mark.parametrize("parts", [1, 3, 8])
def test_the_partitions_drafts_merged_are_those_of_the_whole_fold(recorded: str, parts: int) -> None:
    app, sql, catalog = open_app(recorded), SqlSession(recorded), load_catalog()
    try:
        start = run_start(Issuer(app, lambda: datetime.now(timezone.utc), None).sequences(), date.fromisoformat(TO), documents_horizon(app, sql))
        whole = due_drafts(read_ledger(app, facts=False), catalog, start.to, horizon=start.horizon)
        clients = all_clients(sql)
        drafted = [draft_part((client_ledger(app, sql, g, facts=False) for g in groups(mine)), catalog, start)
                   for mine in ([c for c in clients if part_of(c, parts) == k] for k in range(parts))]
        # the merge gives the whole fold's order: (due date, client, key)
        assert [d.draft for d in merged_drafts(drafted)] == whole and len(whole) > 500
        stored = [app.mapper.transcoder.decode(app.mapper.transcoder.encode(p.as_dict())) for p in drafted]
        assert [PartDrafts.from_dict(p) for p in stored] == drafted
        # drafted without attesting: every client of L'Étincelle is left for after the issuing
        assert after_issuing_of(drafted) == sorted(c.client_id for c in read_ledger(app).clients("etincelle"))
    finally:
        sql.close()
        app.close()


def test_a_partition_attests_while_drafting_and_leaves_urssaf_s_clients_for_after(recorded: str) -> None:
    fresh = draft_everyone(recorded, lambda ledger: ["called"])
    assert fresh.attested == []  # from nothing issued: 2026's documents are to be issued, in 2026
    assert fresh.unattested == ["E-BLK", "E-MON", "E-PER"]
    billing_json("advance", "--to", TO, db=recorded)
    attested: list[list[str]] = []
    part = draft_everyone(recorded, lambda ledger: attested.append(etincelle_clients(ledger)) or [])
    # again: nothing is left to issue in 2026, the only year attestable on 2027-03-31
    assert attested == [["E-BLK", "E-MON", "E-PER"]] and part.unattested == []
    app = open_app(recorded)
    try:
        assert part.urssaf == sorted(a.client_id for a in read_ledger(app, facts=False).of_type(UrssafAccount)) != []
    finally:
        app.close()
    assert after_issuing_of([part]) == part.urssaf


def etincelle_clients(ledger) -> list[str]:
    return sorted(c.client_id for c in ledger.clients("etincelle"))


def draft_everyone(db: str, attest) -> PartDrafts:
    """Every client drafted as one partition against the store's state, attesting with `attest`."""
    app, sql, catalog = open_app(db), SqlSession(db), load_catalog()
    try:
        start = run_start(Issuer(app, lambda: datetime.now(timezone.utc), None).sequences(), date.fromisoformat(TO),
                          documents_horizon(app, sql))
        return draft_part((client_ledger(app, sql, g, facts=False) for g in groups(all_clients(sql))), catalog, start,
                          attest)
    finally:
        sql.close()
        app.close()


def test_attestations_wait_for_drafts_issued_in_an_attestable_year() -> None:
    # 2027-01-01: 2026 is attestable (CGV art. 8 bis 8.4); L'Étincelle's last document of 2026-12-31
    last = date(2026, 12, 31)
    start = RunStart(date(2027, 1, 1), date(2027, 1, 1), {"btbconnect": last, "etincelle": last})
    december, january = ets_draft_on(date(2026, 12, 20)), ets_draft_on(date(2027, 1, 1))
    assert not attestable_before_issuing([Drafted(december, {})], start)  # issued on 2026-12-31: counted in 2026
    # no attestation reads BTBCONNECT's documents
    assert attestable_before_issuing([Drafted(january, {}), Drafted(draft_on(date(2026, 12, 20)), {})], start)


def ets_draft_on(day: date) -> Draft:
    return Draft("k", "invoice", "etincelle", "c", day, "CGV-2025-09-02", ())


def test_a_draft_is_dated_as_issuing_will_date_it() -> None:
    start = RunStart(date(2026, 5, 31), date(2026, 5, 31), {"btbconnect": date(2026, 5, 3), "etincelle": None})
    later, earlier = draft_on(date(2026, 5, 10)), draft_on(date(2026, 4, 30))
    # never before the provider's last issued document (2026-05-03), else on its due date
    assert (start.issued_on(later), start.issued_on(earlier)) == (date(2026, 5, 10), date(2026, 5, 3))


def draft_on(day: date) -> Draft:
    return Draft("k", "invoice", "btbconnect", "c", day, "CGPS20260208-2", ())


def test_a_run_after_runs_that_issued_nothing_is_a_run_of_its_own(recorded: str) -> None:
    # The store's state (sequences, horizon) is the same at each of these runs: the second and the
    # third still draft, talk to URSSAF and seal, rather than take the first's run as theirs.
    first, second, third = (billing_json("advance", "--to", TO, db=recorded) for _ in range(3))
    assert first["issued"] > 500 and second["issued"] == third["issued"] == 0
    assert None not in (second["log_sealed"], third["log_sealed"])
    assert second["urssaf_requests_polled"] == third["urssaf_requests_polled"]
