"""Crash safety of issuing, on PostgreSQL: `billing advance` over a large history is killed
(SIGKILL) at random moments, several times, then run to completion; the result must be exactly
the documents of one uninterrupted run on the same facts: no duplicate, no gap, no difference.

Two databases get the same facts. B is advanced once without interruption: its documents are
the reference, its log the order and pace of its transactions. A is advanced and killed several
times, at delays drawn by a seeded RNG, and checked after every kill (numbers continuous, every
document exactly B's, always B's first ones, in whole transactions). While two transactions or
more are still due and fewer than two kills have landed mid-issuing, the delay is drawn inside
the issuing phase, counted from the moment the run's own log shows its first commit (on a loaded
machine timings move too much for a delay from the start to hit a window of a few tenths of a
second reliably); the other kills fall anywhere in the duration of B's run.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import signal
import subprocess
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import sql

from tests.big_history import FIRST_DAY, big_history
from tests.billing_cli import REPO, billing_command, jsonl

# 160 clients: ~6,600 facts, ~1,470 documents, three transactions of issuing; ingesting them
# twice is most of the test's time (~2.3 ms a fact on PostgreSQL), ~50 s in all on an idle machine.
CLIENTS = int(os.environ.get("BILLING_CRASH_CLIENTS", "160"))
SEED = 7
TO = "2027-03-31"
AS_OF = "2027-12-31"
KILLS = 4  # kills wanted on A…
MID_ISSUING = 2  # …of which, while transactions remain to aim at, this many timed inside issuing…
MAX_ATTEMPTS = 8  # …and at most this many runs started to get them with at least one mid-issuing
from application.issuer import BATCH  # documents saved per transaction by `billing advance`
NUMBER = re.compile(r"^BTB-(\d{4})-(\d{5})$")


# --- running the command ----------------------------------------------------------------------

def command_env(log_level: str = "warning") -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": log_level}


def billing(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([*billing_command(), *args, "--db", db], input=stdin, capture_output=True,
                            text=True, env=command_env(), cwd=REPO, timeout=300)
    assert result.returncode == 0, f"billing {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return result


def invoices(db: str) -> list[dict]:
    return json.loads(billing("invoices", "--format", "json", "--as-of", AS_OF, db=db).stdout)


@dataclass
class Run:
    """One `billing advance` subprocess, its stderr (info logs) in a file."""

    proc: subprocess.Popen
    started: float  # time.time() just before the process was started
    log: Path

    @classmethod
    def start(cls, db: str, folder: Path) -> Run:
        log = folder / f"advance-{uuid.uuid4().hex[:8]}.log"
        with log.open("w") as err:
            started = time.time()
            proc = subprocess.Popen(
                [*billing_command(), "advance", "--to", TO, "--format", "json", "--db", db],
                stdout=subprocess.PIPE, stderr=err, text=True, env=command_env("info"), cwd=REPO)
        return cls(proc, started, log)

    def wait_for_first_commit(self, timeout: float) -> float | None:
        """Seconds after start when the log shows a first document issued; None if the run
        ended first."""
        deadline = time.time() + timeout
        seen = ""
        with self.log.open() as log:
            while time.time() < deadline:
                chunk = log.read()
                seen += chunk
                if "document_issued" in seen:
                    return time.time() - self.started
                if not chunk and self.proc.poll() is not None:
                    return None
                time.sleep(0.002)
        return None

    def kill_at(self, delay: float) -> bool:
        """SIGKILL at `delay` seconds after start, unless the run is over by then."""
        try:
            self.proc.wait(timeout=max(0.0, self.started + delay - time.time()))
            killed = False
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            killed = True
        self.proc.communicate(timeout=300)
        return killed

    def issued_logs(self) -> list[tuple[float, str]]:
        """(seconds after start, number) of every `document_issued` the run logged."""
        found = []
        for line in self.log.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == "document_issued":
                at = datetime.fromisoformat(entry["timestamp"]).timestamp()
                found.append((at - self.started, entry["number"]))
        return found


# --- checks -----------------------------------------------------------------------------------

def numbering_problems(docs: list[dict]) -> list[str]:
    """Duplicate numbers or keys, and gaps: numbers must be 1..n in each year."""
    problems = []
    for what in ("number", "key"):
        twice = sorted(v for v, n in Counter(d[what] for d in docs).items() if n > 1)
        if twice:
            problems.append(f"{len(twice)} duplicate {what}(s), e.g. {twice[:5]}")
    per_year: dict[str, list[int]] = defaultdict(list)
    for doc in docs:
        match = NUMBER.match(doc["number"])
        if not match:
            problems.append(f"unexpected number {doc['number']!r}")
            continue
        per_year[match[1]].append(int(match[2]))
        if doc["issued_on"][:4] != match[1]:
            problems.append(f"{doc['number']} issued on {doc['issued_on']}")
    for year, numbers in sorted(per_year.items()):
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
            problems.append(f"{year}: {len(numbers)} numbers up to {max(numbers)}, missing {missing[:10]}")
    return problems


def differences(got: list[dict], expected: list[dict]) -> list[str]:
    """Documents of `got` that are not exactly those of `expected` with the same number."""
    by_number = {d["number"]: d for d in expected}
    diffs = []
    for doc in got:
        other = by_number.get(doc["number"])
        if other is None:
            diffs.append(f"{doc['number']} ({doc['key']}) is not in the uninterrupted run")
        elif doc != other:
            fields = sorted(k for k in doc.keys() | other.keys() if doc.get(k) != other.get(k))
            diffs.append(f"{doc['number']}: {fields} differ: {[(doc.get(k), other.get(k)) for k in fields][:3]}")
    return diffs


# --- a second database ------------------------------------------------------------------------

@pytest.fixture
def second_pg_url(pg_url: str) -> Iterator[str]:
    """Another brand-new PostgreSQL database on the server of `pg_url`, dropped afterwards."""
    name = f"billing_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'")
                     .format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(pg_url)._replace(path="/" + name))
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- the generator ----------------------------------------------------------------------------

def test_big_history_is_deterministic_and_well_formed() -> None:
    facts = big_history(40)
    assert facts == big_history(40) and facts != big_history(40, seed=8)
    assert len({f["key"] for f in facts}) == len(facts)
    types = Counter(f["type"] for f in facts)
    assert types["client.registered"] == types["subscription.started"] == 40
    for needed in ("subscription.option_activated", "subscription.cancellation_notified",
                   "appointment.scheduled", "appointment.honoured", "appointment.anomaly_declared"):
        assert types[needed] > 0, needed
    started = [f for f in facts if f["type"] == "subscription.started"]
    assert {f["plan"] for f in started} == {"START", "GROW", "DEV", "SCALE"}
    assert {f["prepaid_quarterly"] for f in started} == {True, False}
    paris = ZoneInfo("Europe/Paris")
    moments = []
    for fact in facts:
        for field in ("at", "starts_at"):
            if field in fact:
                moment = datetime.fromisoformat(fact[field])
                assert moment.utcoffset() == moment.astimezone(paris).utcoffset(), fact
                assert FIRST_DAY <= moment.date() <= date(2027, 3, 31), fact
        moments.append(datetime.fromisoformat(fact["at"]))
    assert moments == sorted(moments)
    starts = {f["appointment_id"]: datetime.fromisoformat(f["starts_at"])
              for f in facts if f["type"] == "appointment.scheduled"}
    for fact in facts:
        if fact["type"] == "appointment.anomaly_declared":
            late = datetime.fromisoformat(fact["at"]) - starts[fact["appointment_id"]]
            assert timedelta(0) < late <= timedelta(days=2), fact


# --- the crash test ---------------------------------------------------------------------------

@dataclass
class Attempt:
    kind: str  # "issuing" (timed from the run's first commit) or "anywhere" (from its start)
    delay: float  # seconds after the start of the run
    before: int
    after: int
    killed: bool  # False: the run had finished before its kill time
    total: int

    @property
    def mid_issuing(self) -> bool:
        """Killed after it saved some of the documents still due, but not all of them."""
        return self.killed and self.before < self.after < self.total


def test_advance_killed_at_random_points_ends_like_an_uninterrupted_run(
    pg_url: str, second_pg_url: str, tmp_path: Path,
) -> None:
    began = time.monotonic()
    facts = big_history(CLIENTS, SEED)
    stdin = jsonl(facts)
    for db in (pg_url, second_pg_url):
        report = json.loads(billing("ingest", "-", "--format", "json", db=db, stdin=stdin).stdout)
        assert report == {"recorded": len(facts), "duplicates": 0, "refused": []}
    ingested = time.monotonic()

    # B: one uninterrupted run, the reference and the clock of the transactions.
    reference_run = Run.start(second_pg_url, tmp_path)
    out, _ = reference_run.proc.communicate(timeout=300)
    reference_seconds = time.time() - reference_run.started
    assert reference_run.proc.returncode == 0, reference_run.log.read_text()[-3000:]
    logged = reference_run.issued_logs()
    expected = invoices(second_pg_url)
    total = len(expected)
    assert json.loads(out)["issued"] == len(logged) == total
    assert numbering_problems(expected) == []
    assert total > 2 * BATCH, f"only {total} documents: too few for a kill between two transactions"
    issue_order = [number for _, number in logged]
    assert sorted(issue_order) == sorted(d["number"] for d in expected)
    # A batch's documents are logged right after its transaction commits.
    commits = [logged[i][0] for i in range(0, total, BATCH)]
    per_batch = reference_per_batch = (commits[-1] - commits[0]) / (len(commits) - 1)

    rng = random.Random(SEED)
    attempts: list[Attempt] = []
    count = 0
    for _ in range(MAX_ATTEMPTS):
        if len([a for a in attempts if a.killed]) >= KILLS and any(a.mid_issuing for a in attempts):
            break
        batches_left = math.ceil((total - count) / BATCH)
        run = Run.start(pg_url, tmp_path)
        if batches_left >= 2 and len([a for a in attempts if a.mid_issuing]) < MID_ISSUING:
            # While issuing: from the moment the run's log shows its first transaction committed,
            # a random time short of its last one.
            kind = "issuing"
            first = run.wait_for_first_commit(timeout=300)
            delay = (first or 0.0) + rng.uniform(0, (batches_left - 1) * per_batch * 0.75)
        else:
            # Anywhere in the duration of an uninterrupted run.
            kind = "anywhere"
            delay = rng.uniform(0.2, reference_seconds)
        killed = run.kill_at(delay)
        if killed:
            assert run.proc.returncode == -signal.SIGKILL
        else:
            assert run.proc.returncode == 0, run.log.read_text()[-3000:]

        docs = invoices(pg_url)
        attempt = Attempt(kind, delay, count, len(docs), killed, total)
        attempts.append(attempt)
        where = f"after attempt {len(attempts)} ({attempt})"
        assert numbering_problems(docs) == [], where
        assert differences(docs, expected) == [], where
        # What is issued is always what the uninterrupted run issued first, in whole transactions.
        assert {d["number"] for d in docs} == set(issue_order[:len(docs)]), where
        assert (attempt.after - attempt.before) % BATCH == 0 or attempt.after == total, where
        count = len(docs)
        # This machine's pace now, from the run's own log.
        seen = run.issued_logs()
        batch_starts = [seen[i][0] for i in range(0, len(seen), BATCH)]
        if len(batch_starts) >= 2:
            per_batch = (batch_starts[-1] - batch_starts[0]) / (len(batch_starts) - 1)

    final_run = Run.start(pg_url, tmp_path)
    out, _ = final_run.proc.communicate(timeout=300)
    assert final_run.proc.returncode == 0, final_run.log.read_text()[-3000:]
    assert json.loads(out)["issued"] == total - count

    got = invoices(pg_url)
    summary = (f"{len(facts)} facts, {total} documents; ingest {ingested - began:.1f}s for both databases, "
               f"uninterrupted advance {reference_seconds:.1f}s (first commit {commits[0]:.2f}s, "
               f"{reference_per_batch:.2f}s a transaction); attempts: "
               + "; ".join(f"{a.kind} {a.delay:.2f}s {'killed' if a.killed else 'finished'} "
                           f"{a.before}->{a.after}" for a in attempts)
               + f"; total {time.monotonic() - began:.1f}s")
    print(summary)
    assert numbering_problems(got) == [], summary
    assert differences(got, expected) == [], summary
    assert sorted(got, key=lambda d: d["number"]) == sorted(expected, key=lambda d: d["number"]), summary
    assert len([a for a in attempts if a.killed]) >= KILLS, summary
    assert any(a.mid_issuing for a in attempts), f"no kill landed while documents were being issued: {summary}"
