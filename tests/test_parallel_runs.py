"""Processes doing the same work at once (issue 12, point 4), through the real `billing` command
on both backends: none fails because another did the same work, and the store ends as one run
leaves it (the same documents, each URSSAF request sent once)."""

from __future__ import annotations

import json
import os
import subprocess

from domain.subscriptions import Subscription
from tests.billing_cli import REPO, billing_command, billing_json, jsonl
from tests.services import Engine
from tests.test_etincelle_scenario import history
from tests.test_ingest_rules import client, fact, subscription

RUNS = 16


def together(*commands: list[str], stdin: str | None = None) -> list[subprocess.CompletedProcess]:
    """Starts every command, then waits for them all."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "info"}
    procs = [subprocess.Popen([*billing_command(), *c], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=REPO) for c in commands]
    outputs = [p.communicate(stdin, timeout=300) for p in procs]
    return [subprocess.CompletedProcess(p.args, p.returncode, *out) for p, out in zip(procs, outputs)]


def invoices(db: str) -> list[tuple]:
    return [(i["number"], i["key"], i["total_ttc"], json.dumps(i.get("avance_immediate"), sort_keys=True))
            for i in billing_json("invoices", db=db)]


def test_parallel_first_ingests_of_a_new_store_all_succeed(db_url: str) -> None:
    runs = together(*[["ingest", "-", "--format", "json", "--db", db_url]] * RUNS, stdin=jsonl(history()))
    reports = [json.loads(r.stdout) for r in runs if r.returncode in (0, 1)]
    assert len(reports) == RUNS, [r.stderr[-2000:] for r in runs if r.returncode not in (0, 1)]
    assert all("Traceback" not in r.stderr for r in runs)
    assert sum(r["recorded"] for r in reports) == len(history()) - 3  # the scenario refuses 3 facts
    assert {len(r["refused"]) for r in reports} == {3}


def test_parallel_advances_issue_and_send_everything_once(db_url: str, tmp_path) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    runs = together(*[["advance", "--to", "2026-04-30", "--format", "json", "--db", db_url]] * RUNS)
    assert [r.returncode for r in runs] == [0] * RUNS, [r.stderr[-2000:] for r in runs if r.returncode]
    issued = sorted(n for r in runs for n in json.loads(r.stdout)["numbers"])
    assert issued == sorted(set(issued)) and issued == [i[0] for i in invoices(db_url)]
    sent = sum(json.loads(r.stdout)["urssaf_requests_sent"] for r in runs)
    with_avance = [i for i in invoices(db_url) if i[3] != "null"]
    assert sent == len(with_avance) > 0  # each request once, by whichever run had the turn
    # One more run after them all has nothing left to issue or send.
    again = billing_json("advance", "--to", "2026-04-30", db=db_url)
    assert (again["issued"], again["urssaf_requests_sent"]) == (0, 0)


def test_a_fact_whose_aggregate_another_writer_changed_meanwhile_is_judged_again(db_url: str, monkeypatch) -> None:
    engine, other = Engine(db_url), Engine(db_url)
    try:
        engine.ingest(client(), subscription())
        save, raced = engine.app.save, []

        def save_after_the_other_writer(*aggregates):
            if not raced:  # between this fact's read of S1 and its save, another process changes S1
                raced.append(other.ingest(fact("c", "subscription.cancellation_notified", "2026-05-10T10:00:00+02:00",
                                               subscription_id="S1")).recorded)
            return save(*aggregates)

        monkeypatch.setattr(engine.app, "save", save_after_the_other_writer)
        option = fact("o", "subscription.option_activated", "2026-05-12T10:00:00+02:00", subscription_id="S1",
                      option="multicanal", monthly_fee_ht="250.00")
        assert engine.ingest_service.ingest(option) == "recorded"
        assert raced == [1]
        assert len(engine.app.recorder.select_events(Subscription.id_for("S1"))) == 3  # started, cancel, option
    finally:
        engine.close()
        other.close()
