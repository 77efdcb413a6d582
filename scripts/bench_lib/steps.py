"""The engine's steps, each run alone in a child process by `bench_lib.step`.

Every figure is the time of the operation itself: opening the store, imports and reading the
facts file are outside the timer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench_lib import http_load
from bench_lib.history import month_ends
from bench_lib.stats import percentiles

DERIVED_TERMS = """\
derived_from = "CGPS20260208-2"
reference = "BENCH-DERIVED-1"
title = "Benchmark: GROW extra appointment at 139.00, START with 3 included"

[plans.GROW]
extra_price = "139.00"

[plans.START]
included = 3
"""
WARM_UP = 5


def services(url: str):
    from infrastructure.cli.wiring import services as open_services
    return open_services(url)


def head(app) -> int:
    return app.recorder.max_notification_id() or 0


def ingest(spec: dict) -> dict:
    """The facts file read as it is ingested (as `billing ingest FILE` does, never whole: since
    stop 29, its reading is inside the timer and its lines no longer in the step's memory)."""
    with services(spec["url"]) as s, Path(spec["facts"]).open(encoding="utf-8") as lines:
        service = s.ingest
        start = time.perf_counter()
        report = service.ingest_lines((line.removesuffix("\n") for line in lines), batch=spec["batch"])
        seconds = time.perf_counter() - start
        events = head(s.app)
    facts = report.recorded + report.duplicates + len(report.refused)
    return {"facts": facts, "recorded": report.recorded, "refused": len(report.refused),
            "refusals": report.refused[:5], "events": events, "batch": spec["batch"], "seconds": seconds,
            "facts_per_s": facts / seconds, "events_per_s": events / seconds}


def advance(spec: dict) -> dict:
    """The 12 month-ends run by the scheduler's own work (`advance_work`: the store opened for
    each run, the folded history kept between them)."""
    from infrastructure.scheduler import advance_work

    month_results = []
    work = advance_work(spec["url"])
    with services(spec["url"]) as s:
        for end in month_ends():
            start = time.perf_counter()
            report = work(end)
            seconds = time.perf_counter() - start
            month_results.append({"to": end.isoformat(), "seconds": seconds, "documents": len(report.issued),
                                  "urssaf_sent": report.urssaf_sent, "events_after": head(s.app)})
    total = sum(m["seconds"] for m in month_results)
    documents = sum(m["documents"] for m in month_results)
    last = month_results[-1]
    return {"month_ends": month_results, "seconds": total, "documents": documents,
            "documents_per_s": documents / total, "last_seconds": last["seconds"], "last_to": last["to"],
            "last_documents": last["documents"], "last_documents_per_s": last["documents"] / last["seconds"],
            "events": last["events_after"]}


def advance_cold(spec: dict) -> dict:
    """`billing advance` to the last month-end again in fresh processes, as the command runs it
    (by partitions of the clients): with `--full` (every client drafted: what a first one-shot run
    costs when there is nothing new to issue), with one worker, then two (the second process's
    memory is its own); then as the command runs by default, from the run before (nothing
    recorded since: no client drafted); then once the late facts are recorded (bench_lib/history.py: `late_honoured`)."""
    last = month_ends()[-1]
    runs = [one_shot(spec["url"], last, workers, full=True) for workers in (1, 2)]
    again = one_shot(spec["url"], last, 1)
    with services(spec["url"]) as s:
        late = Path(spec["late_facts"]).read_text(encoding="utf-8").splitlines()
        recorded = s.ingest.ingest_lines(late).recorded
    after_late = {**one_shot(spec["url"], last, 1), "facts": len(late), "recorded": recorded}
    with services(spec["url"]) as s:
        events = head(s.app)
    return {"to": last.isoformat(), "seconds": runs[0]["seconds"], "documents": runs[0]["documents"],
            "views_seconds": runs[0]["views_seconds"], "two_workers_seconds": runs[1]["seconds"], "runs": runs,
            "again": again, "after_late": after_late, "events": events}


def one_shot(url: str, to, workers: int, full: bool = False) -> dict:
    from application.advance_by_parts import advance_by_parts
    from application.client_folds import brought_up_to_date
    from infrastructure.advance_run import StoreRun

    with services(url) as s:
        start = time.perf_counter()
        with s._sql() as sql:  # the kept month-ends (or the late facts) left the views behind: runs start level
            brought_up_to_date(s.app, sql)
        caught_up = time.perf_counter()
        run = StoreRun(s, helpers=workers - 1, full=full)
        report = advance_by_parts(s.advance, to, run)
        return {"workers": workers, "full": full, "seconds": time.perf_counter() - caught_up,
                "documents": len(report.issued), "views_seconds": caught_up - start, "drafted": len(run.drafted)}


def replay(spec: dict) -> dict:
    """As `billing replay` runs it (issue 17): a group of clients at a time in one process, then
    shared by the machine's processes (`BILLING_WORKERS`, as the command); the two reports must
    be the same."""
    from application.replay import replay_by_group
    from infrastructure.parallel_replay import replay_shared
    from infrastructure.terms_files import load_version
    from infrastructure.workers import workers

    terms_file = Path(spec["workdir"]) / "bench-derived.toml"
    terms_file.write_text(DERIVED_TERMS, encoding="utf-8")
    catalog, version = load_version(str(terms_file))
    with services(spec["url"]) as s:
        events, horizon = head(s.app), s.documents_horizon()
        fold = Timed(s.ledgers())
        start = time.perf_counter()
        report = replay_by_group(fold, catalog, version, horizon)
        seconds = time.perf_counter() - start
        count = max(2, workers())
        start = time.perf_counter()
        shared = replay_shared(s.url, str(terms_file), horizon, (None, None, None), count)
        shared_seconds = time.perf_counter() - start
    if shared.as_dict() != report.as_dict():
        raise SystemExit(f"replay: {count} processes gave another report than one")
    return {"events": events, "seconds": seconds, "fold_seconds": fold.seconds,
            "replay_seconds": seconds - fold.seconds, "events_per_s": events / seconds,
            "workers": count, "shared_seconds": shared_seconds, "shared_events_per_s": events / shared_seconds,
            "rows": len(report.rows), "difference": str(report.difference), "terms": version.reference}


class Timed:
    """An iterator that adds up the time spent making its items (the fold of each group)."""

    def __init__(self, items):
        self.items, self.seconds = iter(items), 0.0

    def __iter__(self):
        return self

    def __next__(self):
        start = time.perf_counter()
        try:
            return next(self.items)
        finally:
            self.seconds += time.perf_counter() - start


def rebuild(spec: dict) -> dict:
    """All views rebuilt in one pass over the log (each page read and decoded once, as `billing
    projections rebuild` does): the figure is the events applied, summed over the views, per
    second of that pass."""
    from projections.persisted import Follower
    from infrastructure.view_sql import SqlSession

    with services(spec["url"]) as s:
        follower = Follower(s.app, SqlSession(spec["url"]))
        try:
            start = time.perf_counter()
            counts = follower.rebuild_all()
            seconds = time.perf_counter() - start
        finally:
            follower.sql.close()
        events = head(s.app)
    applied = sum(counts.values())
    return {"views": {name: {"events": count} for name, count in counts.items()}, "seconds": seconds,
            "one_pass": True, "events_applied": applied, "events_per_s": applied / seconds, "log_events": events}


def append_facts(facts_path: Path, count: int) -> list[dict]:
    """New facts on a loaded store, in turn: an appointment on a running subscription, a tutoring
    session booked, a payment."""
    cancelled, subscriptions, ets_clients = set(), [], []
    for line in facts_path.read_text(encoding="utf-8").splitlines():
        fact = json.loads(line)
        if fact["type"] == "subscription.started":
            subscriptions.append((fact["subscription_id"], fact["client_id"]))
        elif fact["type"] == "subscription.cancellation_notified":
            cancelled.add(fact["subscription_id"])
        elif fact["type"] == "client.registered" and fact["provider"] == "etincelle":
            ets_clients.append(fact["client_id"])
    running = [s for s in subscriptions if s[0] not in cancelled]
    out = []
    for n in range(count):
        sub, client = running[n % len(running)]
        kind = n % 3
        if kind == 0:
            out.append({"key": f"bench-append-{n}", "type": "appointment.scheduled", "at": "2027-03-29T09:00:00+02:00",
                        "appointment_id": f"BENCH-A{n:06d}", "client_id": client, "subscription_id": sub,
                        "starts_at": "2027-03-30T10:00:00+02:00"})
        elif kind == 1:
            out.append({"key": f"bench-append-{n}", "type": "session.booked", "at": "2027-03-20T09:00:00+01:00",
                        "session_id": f"BENCH-S{n:06d}", "client_id": ets_clients[n % len(ets_clients)],
                        "starts_at": "2027-03-30T17:00:00+02:00", "duration_minutes": 60, "place": "home",
                        "level": "lycee", "hourly_rate": "40.00"})
        else:
            out.append({"key": f"bench-append-{n}", "type": "payment.received", "at": "2027-03-30T10:00:00+02:00",
                        "client_id": client, "amount": "100.00", "method": "transfer"})
    return out


def append(spec: dict) -> dict:
    facts = append_facts(Path(spec["facts"]), spec["count"] + WARM_UP)
    latencies, outcomes = [], []
    with services(spec["url"]) as s:
        service = s.ingest
        for n, fact in enumerate(facts):
            start = time.perf_counter()
            outcome = service.ingest(fact)
            if n >= WARM_UP:
                latencies.append(time.perf_counter() - start)
            outcomes.append(outcome)
        events = head(s.app)
    return {"facts": len(latencies), "warm_up": WARM_UP, "recorded": outcomes.count("recorded"),
            "latency_ms": percentiles(latencies), "seconds": sum(latencies), "events": events}


def timed_runs(command: list[str], runs: int) -> tuple[list[float], int]:
    """Wall time of each run, and the largest peak RSS (KiB) among them (ru_maxrss: at least this
    small process's RSS at fork, well under the command's own)."""
    times, peak = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode}")
        peak = max(peak, usage.ru_maxrss)
    return times, peak


def cold_start(spec: dict) -> dict:
    installed = Path(sys.executable).parent / "billing"
    billing = [str(installed)] if installed.exists() else [sys.executable, "-m", "infrastructure.cli.main"]
    times, peak = timed_runs([*billing, "--help"], spec["runs"])
    bare, _ = timed_runs([sys.executable, "-c", "pass"], spec["runs"])
    return {"command": " ".join([Path(billing[0]).name, *billing[1:], "--help"]), "runs": times,
            "seconds": min(times), "python_bare_seconds": min(bare), "billing_peak_rss_mb": peak / 1024}


def read_clients(url: str, each: int = 5) -> tuple[list[str], list[str]]:
    """`each` clients of each provider, spread over the history, and one document of each."""
    with services(url) as s:
        with s._sql() as sql, sql.reading():
            rows = sql.execute("streams.by_client")
        clients = sorted({c for c, _ in rows})
        picked = [c for prefix in ("B", "E") for c in spread([c for c in clients if c.startswith(prefix)], each)]
        numbers = [s.ledger(c).documents()[-1].number for c in picked]
    return picked, numbers


def spread(items: list[str], count: int) -> list[str]:
    return [items[i * len(items) // count] for i in range(count)] if items else []


def billing_command() -> list[str]:
    installed = Path(sys.executable).parent / "billing"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "infrastructure.cli.main"]


def timed_commands(commands: list[list[str]]) -> dict:
    times, peak = [], 0
    for command in commands:
        seconds, rss = timed_runs(command, 1)
        times += seconds
        peak = max(peak, rss)
    return {"runs": len(times), "seconds": percentiles(times), "peak_rss_mb": peak / 1024}


def api_latencies(url: str, clients: list[str], rounds: int) -> dict:
    """GET /invoices?client=… through a real `billing serve`, each client in turn, `rounds` times."""
    import httpx

    from tests.http_server import bearer, new_token, running_server

    _, secret = new_token(url, "finance", "both", "bench")
    latencies = []
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-serve.log"
    # The bench's store keeps its clients' keys unwrapped (no master key): a development server.
    with running_server(url, log, options=("--insecure-dev",)) as base, \
            httpx.Client(base_url=base, headers=bearer(secret), timeout=30) as http:
        warmed(log)
        for n in range(rounds + 1):
            for client in clients:
                start = time.perf_counter()
                http.get("/invoices", params={"client": client}).raise_for_status()
                if n:  # the first round warms the server up
                    latencies.append(time.perf_counter() - start)
    return {"requests": len(latencies), "latency_ms": percentiles(latencies)}


def warmed(log: Path, bound: float = 300.0) -> None:
    """Waits for the server's console warm-up (its `console_warmed` log line): measured during it,
    a read shares the interpreter with the warm-up's work of every client."""
    deadline = time.monotonic() + bound
    while "console_warmed" not in log.read_text(encoding="utf-8", errors="replace"):
        if time.monotonic() > deadline:
            raise SystemExit(f"the server's console warm-up did not end within {bound:.0f} s: {log}")
        time.sleep(0.2)


CONSOLE_PAGES = ("/console/invoices", "/console/invoices?client={client}", "/console/invoices/{number}",
                 "/console/receivables", "/console/attestations?year=2026", "/console/replay")


def console_latencies(url: str, clients: list[str], numbers: list[str], rounds: int) -> dict:
    """Each console page (issue 18) through a real `billing serve`, logged in as an auditor of
    both providers: the server's whole answer, `rounds` times after one warm-up round."""
    import httpx

    from tests.http_server import bearer, new_token, running_server

    _, secret = new_token(url, "auditor", "both", "bench-console")
    _, service = new_token(url, "service", "both", "bench-console-writes")
    pages: dict[str, list[float]] = {page: [] for page in (*CONSOLE_PAGES, AFTER_A_FACT, ONE_CLIENT_REPLAY)}
    with running_server(url, Path(os.environ.get("TMPDIR", "/tmp")) / "bench-console.log",
                        options=("--insecure-dev",)) as base, \
            httpx.Client(base_url=base, cookies={"billing_console": secret}, timeout=120) as http, \
            httpx.Client(base_url=base, headers=bearer(service), timeout=120) as writer:
        for n in range(rounds + 1):
            for page in CONSOLE_PAGES:
                path = page.format(client=clients[n % len(clients)], number=numbers[n % len(numbers)])
                start = time.perf_counter()
                http.get(path).raise_for_status()
                if n:
                    pages[page].append(time.perf_counter() - start)
        for n in range(rounds):  # the first load after a write: the page of a log that moved
            writer.post("/facts", json=small_payment(clients[n % len(clients)], n)).raise_for_status()
            start = time.perf_counter()
            http.get("/console/receivables").raise_for_status()
            pages[AFTER_A_FACT].append(time.perf_counter() - start)
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', http.get("/console/replay").text).group(1)
        for n in range(rounds + 1):  # an auditor's replay of one client, under its provider's shipped terms
            client = clients[n % len(clients)]
            form = {"csrf": csrf, "client": client, "terms": SHIPPED_TERMS[client.startswith("E")]}
            start = time.perf_counter()
            http.post("/console/replay", data=form).raise_for_status()
            if n:
                pages[ONE_CLIENT_REPLAY].append(time.perf_counter() - start)
    return {page: percentiles(times) for page, times in pages.items()}


AFTER_A_FACT = "/console/receivables (first load after a payment)"
ONE_CLIENT_REPLAY = "/console/replay (POST, one client)"
SHIPPED_TERMS = ("CGPS20260208-2", "CGV-2025-09-02")  # BTBCONNECT's, L'Étincelle's (client ids E…)


def small_payment(client: str, n: int) -> dict:
    return {"key": f"bench-console-payment-{n}", "type": "payment.received", "at": "2027-03-31T12:00:00+02:00",
            "client_id": client, "amount": "0.01", "method": "transfer"}


def reads(spec: dict) -> dict:
    """Finance's reads: all invoices, one client's, processes and the API."""
    clients, numbers = read_clients(spec["url"])
    billing, db = billing_command(), ["--db", spec["url"], "--format", "json"]
    runs = max(1, spec.get("read_runs", 4))
    return {
        "clients": clients,
        # the first read after the month-ends: every client's kept rows are rewritten first
        "first_read_cli": timed_commands([[*billing, "invoices", *db]]),
        "all_invoices_cli": timed_commands([[*billing, "invoices", *db]] * runs),
        "invoices_cli": timed_commands([[*billing, "invoices", "--client", c, *db] for c in clients * runs]),
        "explain_cli": timed_commands([[*billing, "explain", n, *db] for n in numbers]),
        "api_invoices": api_latencies(spec["url"], clients, spec.get("api_rounds", 20)),
        "receivables_cli": timed_commands([[*billing, "receivables", "--as-of", "2027-03-31", *db]] * runs),
        "verify_cli": timed_commands([[*billing, "verify", *db]]),
        "console_ms": console_latencies(spec["url"], clients, numbers, spec.get("console_rounds", 5)),
    }


STEPS = {"ingest": ingest, "reads": reads, "advance": advance, "advance_cold": advance_cold, "replay": replay,
         "rebuild": rebuild, "append": append, "http": http_load.http, "cold_start": cold_start}
