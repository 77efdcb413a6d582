"""The `billing` command (shared/contract/CONTRACT.md, "Command line")."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime

from zoneinfo import ZoneInfo

from domain.errors import BillingError
from infrastructure.cli import api_commands


READS = {"invoices", "receivables", "attestations", "explain"}  # infrastructure/cli/read_commands.py


def lazy(name: str) -> Callable[[argparse.Namespace], int]:
    """The command's function, imported when it runs: `billing --help` stays a cold start
    of a fraction of a second (the engine's modules load only for real work), and the reads
    load only what they need."""
    def run(args: argparse.Namespace) -> int:
        if name in READS:
            from infrastructure.cli import read_commands as module
        else:
            from infrastructure.cli import commands as module

        return getattr(module, name)(args)
    return run


def iso_date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None
    return in_range(day)


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def anchor(text: str):
    from domain.log_seal import Anchor

    try:
        return Anchor.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an anchor ([provider:]position:count:hash, as --anchor "
                                         "prints)") from None


def year(text: str) -> int:
    from domain.calendar import EARLIEST, LATEST

    if not (text.isascii() and text.isdigit() and EARLIEST.year <= int(text) <= LATEST.year):
        raise argparse.ArgumentTypeError(f"{text!r} is not a year between {EARLIEST.year} and {LATEST.year}")
    return int(text)


def in_range(day: date) -> date:
    from domain.calendar import out_of_range

    problem = out_of_range(day)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return day


def moment(text: str) -> datetime:
    """An ISO timestamp with offset, or a date (the end of that day, Paris time)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Paris"))
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a timestamp with offset (e.g. 2026-12-31T23:59:59+01:00)")
    in_range(value.date())
    return value


def known_at(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--known-at", dest="known_at", type=moment, metavar="TIMESTAMP",
                        help="only the facts recorded up to that moment count")
    return parser


def common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--db", metavar="URL", help="postgresql://… or an SQLite file "
                        "(default: $BILLING_DATABASE_URL, else billing.db here)")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress on stderr (shown only when it is a terminal)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing", description="Event-sourced billing engine "
                                     "for BTBCONNECT and L'Étincelle du Savoir.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = common(sub.add_parser("ingest", help="record the facts of a JSON Lines file (- for stdin)"))
    p.add_argument("file")
    p.set_defaults(run=lazy("ingest"))
    p = common(sub.add_parser("advance", help="issue everything due up to the end of DATE (Paris)"))
    p.add_argument("--to", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="processes of this machine drafting the clients' partitions (default: BILLING_WORKERS, "
                        "else one per processor); on PostgreSQL, workers on other machines join the same run")
    p.add_argument("--full", action="store_true",
                   help="draft every client, even those nothing was recorded about since the last run "
                        "billed as far on the same terms (which that run left with nothing due)")
    p.set_defaults(run=lazy("advance"))
    p = common(sub.add_parser("invoices", help="issued invoices and credit notes"))
    p.add_argument("--provider", choices=["btbconnect", "etincelle"])
    p.add_argument("--client", metavar="ID")
    p.add_argument("--from", dest="from_date", type=iso_date, metavar="DATE")
    p.add_argument("--to", dest="to_date", type=iso_date, metavar="DATE")
    p.add_argument("--as-of", dest="as_of", type=iso_date, metavar="DATE",
                   help="payments known up to the end of DATE (default: today)")
    known_at(p).set_defaults(run=lazy("invoices"))
    p = common(sub.add_parser("receivables", help="what each client owes on a date, with ageing and penalties"))
    p.add_argument("--as-of", dest="as_of", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--provider", choices=["btbconnect", "etincelle"])
    p.add_argument("--client", metavar="ID")
    known_at(p).set_defaults(run=lazy("receivables"))
    penalties = sub.add_parser("penalties", help="late-payment penalties").add_subparsers(
        dest="penalties_command", required=True)
    p = common(penalties.add_parser("invoice", help="issue the penalties accrued by a client's late invoices"))
    p.add_argument("--client", metavar="ID", required=True)
    p.add_argument("--as-of", dest="as_of", type=iso_date, required=True, metavar="DATE")
    p.set_defaults(run=lazy("penalties_invoice"))
    p = common(sub.add_parser("attestations", help="annual tax attestations of L'Étincelle's clients"))
    p.add_argument("--year", type=year, required=True)
    p.add_argument("--client", metavar="ID")
    p.add_argument("--pdf", metavar="FILE", help="with --client: write that client's issued attestation as a PDF")
    known_at(p).set_defaults(run=lazy("attestations"))
    p = common(sub.add_parser("replay", help="the recorded history re-billed under a terms version, "
                              "beside what was issued"))
    p.add_argument("--terms", required=True, metavar="REF|PATH")
    p.add_argument("--provider", choices=["btbconnect", "etincelle"])
    p.add_argument("--client", metavar="ID")
    p.add_argument("--from", dest="from_date", type=iso_date, metavar="DATE")
    p.add_argument("--to", dest="to_date", type=iso_date, metavar="DATE")
    known_at(p).set_defaults(run=lazy("replay"))
    projections = sub.add_parser("projections", help="the persisted views").add_subparsers(
        dest="projections_command", required=True)
    common(projections.add_parser("status", help="position and lag of each view")).set_defaults(
        run=lazy("projections_status"))
    p = common(projections.add_parser("rebuild", help="rebuild a view (or all) from the event log"))
    p.add_argument("name", nargs="?")
    p.set_defaults(run=lazy("projections_rebuild"))
    p = common(sub.add_parser("verify", help="check the event log's chain, the documents' chain and numbering, "
                              "and recompute every issued document"))
    p.add_argument("--anchor", action="store_true", help="print the log's head (position:count:hash) and each "
                   "provider's (provider:position:count:hash) to keep outside the database")
    p.add_argument("--expect", type=anchor, metavar="ANCHOR", action="append", default=[],
                   help="an anchor printed before (repeatable): the log, or that provider's chain, must still reach it")
    p.set_defaults(run=lazy("verify"))
    p = common(sub.add_parser("document", help="an issued document as Factur-X XML or PDF/A-3"))
    p.add_argument("number")
    p.add_argument("--xml", metavar="FILE", help="write its Factur-X (CII, EN 16931) XML")
    p.add_argument("--pdf", metavar="FILE", help="write it as a PDF/A-3 with its Factur-X XML embedded")
    p.set_defaults(run=lazy("document"))
    p = common(sub.add_parser("explain", help="where each line of a document comes from"))
    p.add_argument("number")
    p.add_argument("--line", type=int, metavar="N")
    p.set_defaults(run=lazy("explain"))
    terms = sub.add_parser("terms", help="terms versions").add_subparsers(dest="terms_command", required=True)
    common(terms.add_parser("list", help="the known terms versions")).set_defaults(run=lazy("terms_list"))
    p = common(terms.add_parser("show", help="every parameter of one version"))
    p.add_argument("reference", metavar="REF|PATH")
    p.set_defaults(run=lazy("terms_show"))
    p = common(terms.add_parser("diff", help="what changed from version A to version B, in words"))
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.set_defaults(run=lazy("terms_diff"))
    p = common(terms.add_parser("check", help="validate a version and warn about what deserves it"))
    p.add_argument("reference", metavar="REF|PATH")
    p.set_defaults(run=lazy("terms_check"))
    urssaf = sub.add_parser("urssaf", help="URSSAF's avance immédiate").add_subparsers(
        dest="urssaf_command", required=True)
    p = common(urssaf.add_parser("status", help="where each payment request stands: not sent yet, refused "
                                 "and why, or its last status"))
    p.add_argument("--client", metavar="ID")
    p.set_defaults(run=lazy("urssaf_status"))
    providers = sub.add_parser("providers", help="the providers' legal identities").add_subparsers(
        dest="providers_command", required=True)
    p = common(providers.add_parser("check", help="validate the identity files and say what each lacks"))
    p.add_argument("--file", metavar="PATH", help="one identity file (default: the shipped ones)")
    p.set_defaults(run=lazy("providers_check"))
    personal = sub.add_parser("personal-data", help="a client's URSSAF registration data").add_subparsers(
        dest="personal_command", required=True)
    for name, help_text in (("show", "the data, IBAN masked"), ("erase", "erase it for good (crypto-shredding)")):
        p = common(personal.add_parser(name, help=help_text))
        p.add_argument("--client", metavar="ID", required=True)
        p.set_defaults(run=lazy(f"personal_data_{name}"))
    common(personal.add_parser("wrap-keys", help="store every client key wrapped under BILLING_MASTER_KEY, or "
                               "under BILLING_NEW_MASTER_KEY to rotate it (writers stopped)")).set_defaults(
        run=lazy("personal_data_wrap_keys"))
    api_commands.add_commands(sub, common)
    p = common(sub.add_parser("demo", help="record a sample history, advance the clock, print invoices"))
    p.add_argument("--pdf-dir", metavar="DIR", help="also write each document as PDF/A-3 with Factur-X into DIR")
    p.set_defaults(run=lazy("demo"))
    p = sub.add_parser("scheduler", help="advance to today at start-up, then daily (Europe/Paris); "
                       "one scheduler acts at a time")
    p.add_argument("--db", metavar="URL", help="postgresql://… or an SQLite file "
                   "(default: $BILLING_DATABASE_URL, else billing.db here)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", metavar="HH:MM", help="time of the daily run, Paris time (default 00:05)")
    when.add_argument("--every", type=float, metavar="SECONDS", help="run every SECONDS instead of daily")
    p.add_argument("--workers", type=int, metavar="N", help="run each advance by partitions of the clients with N "
                   "processes, as `billing advance --workers N` (memory bounded by a partition); without it, "
                   "the folded history is kept between runs (faster runs, memory grows with the history)")
    api_commands.insecure_dev(p)
    p.set_defaults(run=lazy("scheduler"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Loaded past the parser, like the commands, for a fast `billing --help`.
    from eventsourcing.domain import EventSourcingError
    from eventsourcing.utils import TopicError

    from infrastructure.logs import configure_logging

    configure_logging("warning" if args.command == "demo" else "info")
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except BillingError as exc:
        print(f"billing {args.command}: {exc}", file=sys.stderr)
        return 1
    except (EventSourcingError, TopicError) as exc:
        print(f"billing {args.command}: the store could not be read or written: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader left (`billing invoices | head`): nothing more to say
        sys.stderr.close()
        return 141


if __name__ == "__main__":
    sys.exit(main())
