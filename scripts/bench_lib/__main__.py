"""`scripts/bench`: see BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from infrastructure.cli.progress import Progress
from bench_lib import history, report
from bench_lib.runner import REPO, code_version, machine, postgres_database, postgres_info, run_step

LATE_FACTS = 100  # appointments said honoured after the year was billed, of as many clients
QUICK_SCALE = 0.003  # 30 subscriptions, 6 Étincelle clients
ENGINE_STEPS = ("raw_write", "ingest", "advance", "advance_cold", "raw_read", "replay", "rebuild", "reads", "append",
                "http")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench", description="Speed and memory of the billing engine against "
                                "the raw database, on SQLite and PostgreSQL, on a deterministic synthetic history.")
    p.add_argument("--scale", type=float, default=1.0, help="size as a fraction of the default (1.0: 10 000 "
                   "BTBCONNECT subscriptions, 2 000 Étincelle clients, about 1 million events)")
    p.add_argument("--quick", action="store_true", help=f"tiny history (scale {QUICK_SCALE}), under a minute: CI smoke")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic history (default 1)")
    p.add_argument("--pg", metavar="URL", help="PostgreSQL server URL; a database billing_bench_<random> is created "
                   "on it and dropped at the end (without --pg: SQLite only)")
    p.add_argument("--batch", type=int, default=500, help="facts per transaction in bulk ingest (default 500)")
    p.add_argument("--appends", type=int, help="single facts timed for the append latency (default 300, quick 30)")
    p.add_argument("--out", type=Path, help="JSON results file (default bench-results/bench-<date>.json)")
    p.add_argument("--profile", type=Path, metavar="DIR", help="profile each engine step with pyinstrument (install "
                   "it in .venv) into DIR/<backend>-<step>.txt; its figures are slowed by the profiler")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr (shown only when it is a terminal)")
    args = p.parse_args(argv)
    if args.quick:
        args.scale = QUICK_SCALE
    args.appends = args.appends or (30 if args.quick else 300)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        args.profile = args.profile.resolve()
    return args


def say(text: str) -> None:
    clear = "\r\033[K" if sys.stderr.isatty() else ""  # over the progress line, if any
    print(f"{clear}bench: {text}", file=sys.stderr, flush=True)


def summary(step: str, r: dict) -> str:
    keys = {"raw_write": "rows_per_s", "ingest": "facts_per_s", "advance": "documents_per_s",
            "raw_read": "events_per_s", "replay": "events_per_s", "rebuild": "events_per_s"}
    if step == "reads":
        api, cli = r["api_invoices"]["latency_ms"], r["invoices_cli"]["seconds"]
        return (f"reads: invoices --client p50 {cli['p50']:.0f} ms; API p99 {api['p99']:.1f} ms; verify "
                f"{r['verify_cli']['seconds']['p50'] / 1000:.1f} s, peak RSS {r['verify_cli']['peak_rss_mb']:.0f} MB")
    if step == "http":
        b, lat = r["batched"], r["singles"]["latency_ms"]
        return (f"http: batches {b['facts_per_s']:,.0f} facts/s; single facts from {r['singles']['clients']} clients "
                f"p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms")
    if step == "advance_cold":
        late = r["after_late"]
        return (f"{step}: {r['documents']} documents, {r['seconds']:.1f} s ({r['two_workers_seconds']:.1f} s with 2 "
                f"workers); from the last run {r['again']['seconds']:.2f} s, after {late['recorded']} late facts "
                f"{late['seconds']:.2f} s ({late['drafted']} clients, {late['documents']} documents), peak RSS "
                f"{r['peak_rss_mb']:.0f} MB")
    figure = f"{r[keys[step]]:,.0f} {keys[step].replace('_per_s', '/s')}" if step in keys else \
        f"p50 {r['latency_ms']['p50']:.2f} ms"
    return f"{step}: {figure}, {r.get('seconds', 0):.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB"


def run_backend(name: str, url: str, workdir: Path, facts: Path, args: argparse.Namespace) -> dict:
    results = {}
    bar = Progress(f"bench [{name}]", "steps", sys.stderr.isatty() and not args.quiet)
    for done, step in enumerate(ENGINE_STEPS):
        bar(done, len(ENGINE_STEPS))  # the steps done, and the time left at their pace
        spec = {"step": step, "url": url, "facts": str(facts), "late_facts": str(workdir / "late.jsonl"), "workdir": str(workdir), "batch": args.batch,
                "singles": args.appends, "count": args.appends, "http_seconds": 2 if args.quick else 10,
                "profile": str(args.profile / f"{name}-{step}.txt") if args.profile else None}
        results[step] = run_step(workdir, f"{name}-{step}", spec)
        say(f"[{name}] {summary(step, results[step])}")
        if step == "ingest" and results[step]["refused"]:
            raise SystemExit(f"bench: the history has refused facts: {results[step]['refusals']}")
    return results


def main(argv: list[str]) -> int:
    args = parse(argv)
    size = history.Size.scaled(args.scale)
    started, host, code = datetime.now(timezone.utc), machine(), code_version()
    out = args.out or REPO / "bench-results" / f"bench-{started:%Y-%m-%dT%H%M%SZ}.json"
    with tempfile.TemporaryDirectory(prefix="billing-bench-") as tmp:
        workdir = Path(tmp)
        clock = time.perf_counter()
        facts = history.facts(size, args.seed)
        facts_path = workdir / "facts.jsonl"
        facts_path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts), encoding="utf-8")
        late = history.late_honoured(facts, LATE_FACTS)  # the one-shot step's late facts, recorded by it
        (workdir / "late.jsonl").write_text("".join(json.dumps(f) + "\n" for f in late), encoding="utf-8")
        counts = {"facts": len(facts), "appointments": sum(f["type"] == "appointment.scheduled" for f in facts),
                  "sessions": sum(f["type"] == "session.booked" for f in facts)}
        del facts  # the steps read the file
        say(f"history: {counts['facts']:,} facts ({size.subscriptions:,} subscriptions, {size.etincelle_clients:,} "
            f"Étincelle clients, seed {args.seed}) in {time.perf_counter() - clock:.1f} s")
        backends, pg = {}, None
        backends["sqlite"] = run_backend("sqlite", "sqlite:///" + str(workdir / "bench.db"), workdir, facts_path, args)
        if args.pg:
            with postgres_database(args.pg) as url:
                pg = postgres_info(url)
                backends["postgres"] = run_backend("postgres", url, workdir, facts_path, args)
        else:
            say("no --pg URL: PostgreSQL skipped")
        cold = run_step(workdir, "cold_start", {"step": "cold_start", "runs": 5})
        say(f"cold start: billing --help best of 5: {cold['seconds'] * 1000:.0f} ms")
    size_note = "" if args.scale >= 1 else f"measured at scale {args.scale:g}"
    rows = [row for name, steps in backends.items() for row in report.backend_rows(name, steps)]
    rows.append(report.cold_row(cold))
    goals = report.targets(backends, cold, size_note)
    results = {
        "command": shlex.join(["scripts/bench", *argv]), "date": started.isoformat(timespec="seconds"),
        "machine": {**host, "load_average_at_end": os.getloadavg()}, "code": code, "postgres": pg,
        "size": {"scale": args.scale, "seed": args.seed, "subscriptions": size.subscriptions,
                 "etincelle_clients": size.etincelle_clients, **counts},
        "backends": backends, "cold_start": cold, "table": rows, "targets": goals,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    s = results["size"]
    print(f"{results['command']} — {results['date']} — {s['facts']:,} facts ({s['subscriptions']:,} subscriptions, "
          f"{s['appointments']:,} appointments, {s['etincelle_clients']:,} Étincelle clients, {s['sessions']:,} "
          f"sessions), seed {s['seed']}\n")
    print(report.table(rows) + "\n")
    print(report.targets_table(goals) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
