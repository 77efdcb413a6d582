"""One function per subcommand: open the store, call one service, print the result."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from application.advance_by_parts import advance_by_parts
from application.penalties import PenaltyService
from application.replay import replay as replay_history, replay_by_group
from application.verify_service import verify_store
from application.personal_data_service import PersonalDataService
from domain.calendar import end_of_day
from domain.errors import InvalidFact
from domain.terms_diff import terms_diff as diff_in_words, terms_warnings
from infrastructure.cli.output import invoices_table, print_json, table
from infrastructure.cli.progress import shown
from infrastructure.advance_run import StoreRun
from infrastructure.parallel_replay import replay_shared
from infrastructure.parallel_verify import shared_drift
from infrastructure.workers import PARALLEL_FROM, workers
from infrastructure.cli.wiring import log_key, services
from infrastructure.clock import system_clock
from infrastructure.demo import run_demo
from infrastructure.ecb_rates import load_ecb_rates
from infrastructure.cli.file_commands import (  # noqa: F401 - run by name
    document, providers_check, urssaf_status,
)
from infrastructure.cli.read_commands import attestations, explain, invoices, receivables, today  # noqa: F401
from infrastructure.terms_files import load_catalog, load_version
from application.books.invoices import InvoiceFilter, invoice_rows


INGEST_BATCH = 500  # facts per transaction; a refused fact still records nothing


def ingest(args: argparse.Namespace) -> int:
    lines = text_lines(sys.stdin.buffer) if args.file == "-" else read_lines(args.file)
    total = None if args.file == "-" else facts_in(args.file)  # standard input is read once, as it comes
    with services(args.db) as s:
        report = shown(args, "ingest", "facts", lambda bar: s.ingest.ingest_lines(lines, INGEST_BATCH, bar, total))
        shown(args, "projections", "events", s.follow_projections)
    if args.format == "json":
        print_json(report.as_dict())
    else:
        print(f"recorded {report.recorded}, duplicates {report.duplicates}, refused {len(report.refused)}")
        for refusal in report.refused:
            print(f"  refused {refusal['key']}: {refusal['error']}", file=sys.stderr)
    return 1 if report.refused else 0


def read_lines(path: str) -> Iterator[str]:
    """The file's lines as they are read (opened here: a file that cannot be read is refused first)."""
    try:
        stream = Path(path).open("rb")
    except OSError as exc:
        raise InvalidFact(f"cannot read {path}: {exc.strerror}") from None
    return closed_after(stream)


def facts_in(path: str) -> int:
    """The file's lines that are not blank, counted in one quick pass before it is ingested."""
    with Path(path).open("rb") as stream:
        return sum(1 for line in stream if line.strip())


def closed_after(stream: BinaryIO) -> Iterator[str]:
    with stream:
        yield from text_lines(stream)


def text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """JSON Lines split on \\n only (U+2028 and U+0085 belong to the text); a byte that is not
    UTF-8 is kept escaped, for that line alone to be refused."""
    for chunk in chunks:
        yield chunk.removesuffix(b"\n").decode("utf-8", errors="surrogateescape")


def advance(args: argparse.Namespace) -> int:
    count = args.workers or workers()
    with services(args.db) as s:
        if (args.workers or 1) > 1 and not s.postgres:
            print(f"SQLite has one writer: {count} processes of this machine draft the clients, one issues; "
                  "workers on several machines need PostgreSQL", file=sys.stderr)
        run = StoreRun(s, helpers=count - 1, full=args.full)
        report = shown(args, "advance", "documents", lambda bar: advance_by_parts(s.advance, args.to, run, bar))
        shown(args, "projections", "events", s.follow_projections)
    if args.format == "json":
        print_json(report.as_dict())
    else:
        numbers = f" ({report.issued[0]} … {report.issued[-1]})" if report.issued else ""
        print(f"advanced to {args.to}: issued {len(report.issued)} document(s){numbers}")
    return 0


def penalties_invoice(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        doc = PenaltyService(s.app, s.catalog, load_ecb_rates(), system_clock, s.identities).invoice(args.client, args.as_of)
        rows = invoice_rows(s.ledger(args.client), s.catalog, InvoiceFilter(client_id=args.client),
                            end_of_day(args.as_of), s.identities) if doc else []
    issued = [r for r in rows if doc and r["number"] == doc.number]
    if args.format == "json":
        print_json(issued[0] if issued else None)
    else:
        print(invoices_table(issued) if issued else f"{args.client}: no penalty due on {args.as_of}")
    return 0


def terms_list(args: argparse.Namespace) -> int:
    versions = load_catalog().all()
    if args.format == "json":
        print_json([{"reference": t.reference, "provider": t.provider, "effective_from": t.effective_from.isoformat(),
                     "title": t.title} for t in versions])
    else:
        print(table(["reference", "provider", "effective from", "title"],
                    [[t.reference, t.provider, t.effective_from.isoformat(), t.title] for t in versions]))
    return 0


def terms_show(args: argparse.Namespace) -> int:
    terms = load_version(args.reference)[1]
    data = terms.model_dump(mode="json")
    if args.format == "json":
        print_json(data)
    else:
        print("\n".join(flatten(data)))
    return 0


def terms_diff(args: argparse.Namespace) -> int:
    changes = diff_in_words(load_version(args.a)[1], load_version(args.b)[1])
    print_json(changes) if args.format == "json" else print("\n".join(changes) or "no difference")
    return 0


def terms_check(args: argparse.Namespace) -> int:
    terms = load_version(args.reference)[1]
    warnings = terms_warnings(terms)
    if args.format == "json":
        print_json({"reference": terms.reference, "valid": True, "warnings": warnings})
    else:
        print("\n".join([f"{terms.reference}: valid", *(f"warning: {w}" for w in warnings)]))
    return 0


def replay(args: argparse.Namespace) -> int:
    catalog, version = load_version(args.terms)
    with services(args.db) as s:
        total, count = (1 if args.client else s.client_count()), workers()
        if args.known_at is None and not args.client and count > 1 and total >= PARALLEL_FROM:
            filters = (args.provider, args.from_date, args.to_date)  # shared between processes
            report = shown(args, "replay", "shares", lambda bar: replay_shared(
                s.url, args.terms, s.documents_horizon(), filters, count, bar))
        elif args.known_at is None:  # a group of clients at a time, or the one asked about
            report = shown(args, "replay", "clients", lambda bar: replay_by_group(
                s.ledgers(args.client), catalog, version, s.documents_horizon(), args.provider, args.client,
                args.from_date, args.to_date, lambda done, _: bar(done, total)))
        else:  # as known then: the horizon is that of the documents recorded by then
            report = replay_history(s.ledger(args.client, args.known_at), catalog, version, args.provider,
                                    args.client, args.from_date, args.to_date)
    data = report.as_dict()
    if args.format == "json":
        print_json(data)
    else:
        print(table(["client", "issued", "replayed", "difference"],
                    [[c["client_id"], c["issued"], c["replayed"], c["difference"]] for c in data["clients"]]
                    + [["total", *data["totals"].values()]], {1, 2, 3}))
        changed = [r for r in data["lines"] if r["difference"] != "0.00"]
        if changed:
            print("\n" + table(["client", "document key", "code", "issued qty", "issued", "replayed qty", "replayed",
                                "difference"],
                               [[r["client_id"], r["key"], r["code"], r["issued_quantity"], r["issued_ttc"],
                                 r["replayed_quantity"], r["replayed_ttc"], r["difference"]] for r in changed],
                               {3, 4, 5, 6, 7}))
    return 0


def projections_status(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        follower = s.follower()
        rows = [{"name": st.name, "position": st.position, "head": st.head, "lag": st.lag, "rows": st.rows}
                for st in follower.status()]
        follower.sql.close()
    if args.format == "json":
        print_json(rows)
    else:
        print(table(["projection", "position", "head", "lag", "rows"],
                    [[r["name"], str(r["position"]), str(r["head"]), str(r["lag"]), str(r["rows"])] for r in rows],
                    {1, 2, 3, 4}))
    return 0


def projections_rebuild(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        follower = s.follower()
        names = [args.name] if args.name else list(follower.views)
        if args.name and args.name not in follower.views:
            raise InvalidFact(f"no projection {args.name!r} (known: {', '.join(follower.views)})")
        counts = shown(args, names[0] if args.name else "projections", "events",
                       lambda bar: follower.rebuild_all(names, bar))
        follower.sql.close()
    print_json(counts) if args.format == "json" else print(
        "\n".join(f"{name}: rebuilt from {count} events" for name, count in counts.items()))
    return 0


def verify(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        count = workers()
        drift = shared_drift(s.url, count) if count > 1 and s.client_count() >= PARALLEL_FROM else None
        findings, anchors = shown(args, "verify", "clients", lambda bar: verify_store(
            s.app, s.catalog, log_key(), args.expect, s.client_events, bar, drift))
    whole, chains = anchors[0].text(), {a.chain: a.text() for a in anchors[1:]}
    if args.format == "json":
        print_json({"findings": [f.as_dict() for f in findings],
                    **({"anchor": whole, "anchors": chains} if args.anchor else {})})
    else:
        print("\n".join(f"{f.kind}: {f.number}: {f.detail}" for f in findings) or "verified: no finding")
        if args.anchor:
            print("\n".join([f"anchor: {whole}", *(f"anchor ({name}): {text}" for name, text in chains.items())]))
    return 1 if findings else 0


def flatten(data: object, prefix: str = "") -> list[str]:
    if isinstance(data, dict):
        return [line for k, v in data.items() for line in flatten(v, f"{prefix}{k}.")]
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return [line for i, v in enumerate(data) for line in flatten(v, f"{prefix}{i}.")]
    return [f"{prefix.rstrip('.')} = {data}"]


def personal_data_show(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        data = PersonalDataService(s.app, s.vault, system_clock).show(args.client)
    print_json(data) if args.format == "json" else print("\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


def personal_data_erase(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        erased = PersonalDataService(s.app, s.vault, system_clock).erase(args.client)
    result = {"client_id": args.client, "erased": erased}
    print_json(result) if args.format == "json" else print(
        f"{args.client}: URSSAF registration data erased" if erased else f"{args.client}: nothing left to erase")
    return 0


def personal_data_wrap_keys(args: argparse.Namespace) -> int:
    from infrastructure.store import database_url
    from infrastructure.vault import Vault, new_master_key_from_environment

    with Vault(database_url(args.db)) as vault:
        count = vault.rewrap(new_master_key_from_environment())
    print_json({"keys_wrapped": count}) if args.format == "json" else print(f"{count} client keys wrapped")
    return 0


def keys_guarded(db: str | None, what: str, insecure_dev: bool) -> None:
    """Refuses to start over unwrapped keys of personal data, unless on a development machine."""
    from infrastructure.store import database_url
    from infrastructure.vault import Vault, VaultError, refuse_unguarded_keys

    if insecure_dev:
        return
    try:
        vault = Vault(database_url(db))
    except VaultError:
        return  # the store cannot be reached: the command says so in its own words
    with vault:
        refuse_unguarded_keys(vault, what)


def demo(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        return run_demo(s, args.format, args.pdf_dir)


def scheduler(args: argparse.Namespace) -> int:
    from infrastructure.scheduler import check_workers, run_scheduler, schedule_from_options  # APScheduler: here only

    schedule_from_options(args.every, args.at)  # wrong options are refused before the store is touched
    check_workers(args.workers)
    keys_guarded(args.db, "the scheduler", args.insecure_dev)
    return run_scheduler(args.db, every=args.every, at=args.at, workers=args.workers)
