"""The table for people, the ratios to the raw reference, and the targets of issue 6.

A ratio is the engine's speed as a fraction of the raw one (raw time ÷ engine time): 1.0 would
be as fast as the bare driver.
"""

from __future__ import annotations

GB = 1024


def fmt_rate(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}"


def ratio(engine: float, raw: float) -> float:
    return engine / raw if raw else 0.0


def backend_rows(name: str, steps: dict) -> list[dict]:
    """One row per step: figure, raw reference, ratio, seconds, peak RSS."""
    w, r = steps["raw_write"], steps["raw_read"]
    ing, adv, cold, rep, reb, app = (steps[k] for k in ("ingest", "advance", "advance_cold", "replay", "rebuild",
                                                        "append"))
    raw_copy = "COPY" if name == "postgres" else "executemany"
    raw_p50, raw_p99 = w["single_insert_ms"]["p50"], w["single_insert_ms"]["p99"]
    lat = app["latency_ms"]
    # The log each month-end's advance reads: what the previous one left.
    before = [ing["events"]] + [m["events_after"] for m in adv["month_ends"][:-1]]
    rows = [
        ("raw write", fmt_rate(w["rows_per_s"], "rows/s") + f" ({raw_copy}, {w['rows']:,} rows)", "-", None,
         w["seconds"], w["peak_rss_mb"]),
        ("raw single insert", f"p50 {raw_p50:.2f} ms, p99 {raw_p99:.2f} ms", "-", None, None, None),
        ("raw read", fmt_rate(r["events_per_s"], "events/s") + f" (SELECT+json, {r['events']:,} events)", "-", None,
         r["seconds"], r["peak_rss_mb"]),
        ("ingest (batch)", fmt_rate(ing["facts_per_s"], "facts/s") + f" ({ing['events_per_s']:,.0f} events/s)",
         "raw write", ratio(ing["facts_per_s"], w["rows_per_s"]), ing["seconds"], ing["peak_rss_mb"]),
        (f"advance, {len(adv['month_ends'])} month-ends", f"{adv['seconds']:.1f} s, {adv['documents']:,} documents, "
         f"{adv['documents_per_s']:,.0f} docs/s", "raw read of the log, each time",
         ratio(sum(before) / r["events_per_s"], adv["seconds"]), adv["seconds"], adv["peak_rss_mb"]),
        (f"advance, last ({adv['last_to']})", f"{adv['last_seconds']:.2f} s, {adv['last_documents']:,} documents, "
         f"{adv['last_documents_per_s']:,.0f} docs/s", "raw read of the log",
         ratio(before[-1] / r["events_per_s"], adv["last_seconds"]), adv["last_seconds"], None),
        (f"advance, one-shot re-run, every client drafted ({cold['to']})", f"{cold['seconds']:.2f} s in a fresh "
         f"process, {cold['documents']} documents" + (f" (the views caught up first: {cold['views_seconds']:.1f} s)"
                                                      if cold.get("views_seconds") is not None else "")
         + (f"; {cold['two_workers_seconds']:.2f} s with 2 workers" if cold.get("two_workers_seconds") else ""),
         "raw read of the log", ratio(cold["events"] / r["events_per_s"], cold["seconds"]),
         cold["seconds"], cold["peak_rss_mb"]),
    ] + from_last_run_rows(cold) + [
        ("replay (fold+replay, by groups)", fmt_rate(rep["events_per_s"], "events/s") +
         f" (fold {rep['fold_seconds']:.1f} s, replay {rep['replay_seconds']:.1f} s)" + shared_replay(rep), "raw read",
         ratio(rep["events_per_s"], r["events_per_s"]), rep["seconds"], rep["peak_rss_mb"]),
        ("projection rebuild", fmt_rate(reb["events_per_s"], "events/s") + f" ({reb['events_applied']:,} applied, "
         f"{len(reb['views'])} views{', one pass' if reb.get('one_pass') else ''})", "raw read",
         ratio(reb["events_per_s"], r["events_per_s"]), reb["seconds"], reb["peak_rss_mb"]),
        ("single-fact append", f"p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms ({lat['count']} facts)",
         "raw single insert", ratio(raw_p50, lat["p50"]), app["seconds"], app["peak_rss_mb"]),
    ]
    rows += read_rows(steps["reads"]) + http_rows(steps.get("http"), w)
    return [{"backend": name, "step": s, "figure": f, "reference": ref, "ratio": q, "seconds": sec, "peak_rss_mb": m}
            for s, f, ref, q, sec, m in rows]


def read_rows(reads: dict) -> list[tuple]:
    """Finance's reads (issue 16): processes timed whole, the API per request."""
    def process(label: str, key: str) -> tuple:
        t = reads[key]["seconds"]
        return (label, f"p50 {t['p50'] / 1000:.2f} s, p99 {t['p99'] / 1000:.2f} s ({t['count']} runs)", "-", None,
                t["p50"] / 1000, reads[key]["peak_rss_mb"])
    api = reads["api_invoices"]["latency_ms"]
    return [process("first read after the month-ends: billing invoices (process)", "first_read_cli"),
            process("billing invoices, all clients (process)", "all_invoices_cli"),
            process("billing invoices --client (process)", "invoices_cli"),
            process("billing explain NUMBER (process)", "explain_cli"),
            ("GET /invoices?client=", f"p50 {api['p50']:.1f} ms, p99 {api['p99']:.1f} ms ({api['count']} requests)", "-",
             None, None, None),
            process("billing receivables, all clients (process)", "receivables_cli"),
            process("billing verify (process)", "verify_cli"),
            *((f"console page {page}", f"p50 {t['p50']:.0f} ms, p99 {t['p99']:.0f} ms ({t['count']} loads)", "-",
               None, None, None) for page, t in reads.get("console_ms", {}).items())]


def cold_row(cold: dict) -> dict:
    return {"backend": "-", "step": "billing --help cold start",
            "figure": f"best of {len(cold['runs'])}: {cold['seconds'] * 1000:.0f} ms", "reference": "python -c pass",
            "ratio": ratio(cold["python_bare_seconds"], cold["seconds"]), "seconds": cold["seconds"],
            "peak_rss_mb": cold["billing_peak_rss_mb"]}


def table(rows: list[dict]) -> str:
    header = ("backend", "step", "figure", "vs", "ratio", "time (s)", "peak RSS (MB)")
    cells = [header] + [(r["backend"], r["step"], r["figure"], r["reference"],
                         "-" if r["ratio"] is None else f"{r['ratio']:.1%}",
                         "-" if r["seconds"] is None else f"{r['seconds']:.2f}",
                         "-" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}") for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def from_last_run_rows(cold: dict) -> list[tuple]:
    """The one-shot re-runs that start from the run before (application/billed_runs.py)."""
    if "again" not in cold:
        return []
    again, late = cold["again"], cold["after_late"]
    return [("advance, one-shot re-run from the last run", f"{again['seconds']:.2f} s, {again['drafted']} clients "
             f"drafted, {again['documents']} documents", "-", None, again["seconds"], None),
            (f"the same after {late['recorded']} late facts", f"{late['seconds']:.2f} s, {late['drafted']} clients "
             f"drafted, {late['documents']} documents (the views caught up first: {late['views_seconds']:.1f} s)",
             "-", None, late["seconds"], None)]


def http_rows(http: dict | None, raw_write: dict) -> list[tuple]:
    """Facts through `POST /facts` (issue 17), on a store of their own."""
    if http is None:
        return []
    b, one = http["batched"], http["singles"]
    lat = one["latency_ms"]
    return [(f"ingest over HTTP (batches of {b['batch']}, first {b['facts']:,} facts)",
             fmt_rate(b["facts_per_s"], "facts/s"), "raw write", ratio(b["facts_per_s"], raw_write["rows_per_s"]),
             b["seconds"], http["peak_rss_mb"]),
            (f"single facts over HTTP, {one['clients']} clients at once",
             f"p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms, {one['requests_per_s']:,.0f} facts/s, "
             f"{one['errors']} errors", "-", None, one["seconds"], None)]


def shared_replay(rep: dict) -> str:
    """The same replay shared by processes, when the step ran it."""
    if not rep.get("shared_seconds"):
        return ""
    return f"; {rep['workers']} processes: {rep['shared_events_per_s']:,.0f} events/s in {rep['shared_seconds']:.1f} s"


def targets(backends: dict, cold: dict, size_note: str) -> list[dict]:
    out = []

    def add(name: str, backend: str, measured: str, met: bool, note: str = "") -> None:
        out.append({"target": name, "backend": backend, "measured": measured, "met": met, "note": note})

    for name, steps in backends.items():
        r = steps["raw_read"]
        rep_ratio = ratio(steps["replay"]["events_per_s"], r["events_per_s"])
        add("replay ≥ 40 % of raw SELECT+decode", name, f"{rep_ratio:.1%}", rep_ratio >= 0.40)
        add("replay ≥ 60 % of raw SELECT+decode (issue 17)", name, f"{rep_ratio:.1%}", rep_ratio >= 0.60)
        ing_ratio = ratio(steps["ingest"]["facts_per_s"], steps["raw_write"]["rows_per_s"])
        if name == "postgres":
            add("bulk ingest ≥ 10 % of raw COPY (PostgreSQL)", name, f"{ing_ratio:.1%}", ing_ratio >= 0.10)
        last = steps["advance"]["last_seconds"]
        add("month-end advance < 5 s (10 000 subs, 100 000 appts)", name, f"{last:.2f} s", last < 5, size_note)
        one_shot = steps["advance_cold"]["seconds"]
        add("the same, as a one-shot process (re-run, every client drafted)", name, f"{one_shot:.2f} s", one_shot < 5, size_note)
        if "again" in steps["advance_cold"]:
            again, late = steps["advance_cold"]["again"]["seconds"], steps["advance_cold"]["after_late"]["seconds"]
            add("one-shot re-run from the last run < 5 s (issue 17)", name, f"{again:.2f} s", again < 5, size_note)
            add("the same after 100 late facts < 5 s (issue 17)", name, f"{late:.2f} s", late < 5, size_note)
        two = steps["advance_cold"].get("two_workers_seconds")
        if two:
            add("one-shot advance ≥ 1.7× faster with 2 workers", name, f"{one_shot / two:.2f}×", one_shot / two >= 1.7)
        rate = steps["rebuild"]["events_per_s"]
        add("projection rebuild ≥ 20 000 events/s", name, f"{rate:,.0f} events/s", rate >= 20_000)
        peak = max(s["peak_rss_mb"] for s in steps.values())
        add("peak memory < 1 GB", name, f"{peak:.0f} MB", peak < GB, size_note)
        add("peak memory of every step < 400 MB (issue 17)", name, f"{peak:.0f} MB", peak < 400, size_note)
        read_targets(add, name, steps["reads"], size_note)
        issue_17_targets(add, name, steps, size_note)
    add("cold start < 0.3 s", "-", f"{cold['seconds'] * 1000:.0f} ms", cold["seconds"] < 0.3)
    return out


def issue_17_targets(add, name: str, steps: dict, size_note: str) -> None:
    rate = steps["ingest"]["facts_per_s"]
    add("bulk ingest ≥ 20 000 facts/s (issue 17)", name, f"{rate:,.0f} facts/s", rate >= 20_000, size_note)
    last = steps["advance"]["last_seconds"]
    add("the kept scheduler's month-end < 1 s (issue 17)", name, f"{last:.2f} s", last < 1, size_note)
    if "http" in steps:
        b, lat = steps["http"]["batched"], steps["http"]["singles"]["latency_ms"]
        add("ingest over HTTP ≥ 10 000 facts/s (issue 17)", name, f"{b['facts_per_s']:,.0f} facts/s",
            b["facts_per_s"] >= 10_000)
        add("single facts over HTTP, 8 clients: p99 < 10 ms (issue 17)", name, f"{lat['p99']:.1f} ms",
            lat["p99"] < 10)


def read_targets(add, name: str, reads: dict, size_note: str) -> None:
    api = reads["api_invoices"]["latency_ms"]["p99"]
    add("one client's invoices through the API: p99 < 20 ms", name, f"{api:.1f} ms", api < 20, size_note)
    cli = reads["invoices_cli"]["seconds"]["p99"] / 1000
    add("billing invoices --client < 0.3 s as a process (p99)", name, f"{cli:.2f} s", cli < 0.3, size_note)
    verify = reads["verify_cli"]["seconds"]["p50"] / 1000
    add("verify of all documents < 120 s", name, f"{verify:.1f} s", verify < 120, size_note)
    peak = max(reads[k]["peak_rss_mb"] for k in ("first_read_cli", "all_invoices_cli", "invoices_cli", "explain_cli",
                                                   "verify_cli"))
    add("these reads < 200 MB", name, f"{peak:.0f} MB", peak < 200, size_note)
    for page, t in reads.get("console_ms", {}).items():
        add(f"console page {page} < 200 ms (p99)", name, f"{t['p99']:.0f} ms", t["p99"] < 200, size_note)


def targets_table(rows: list[dict]) -> str:
    cells = [("target", "backend", "measured", "met")] + [
        (t["target"], t["backend"], t["measured"], ("yes" if t["met"] else "NO") + (f" ({t['note']})" if t["note"] else ""))
        for t in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
