"""Where a one-shot advance keeps what it billed (application/billed_runs.py), and what the log
was written with since: the table `billing_advance_billed` (the newest run only), the events after
its start by the recorder, their clients by the streams view."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import application
import domain
from application.billed_runs import BilledRun, billed_by_ledger
from application.ledger import Ledger
from domain.identities import ProviderIdentities
from domain.terms_catalog import TermsCatalog

ENGINE_PACKAGES = (domain, application)  # the code billing is a function of


def billing_digest(catalog: TermsCatalog, identities: ProviderIdentities) -> str:
    """What billing depends on besides the facts and the date: every terms version, every
    identity of the providers, the source of the domain and of the application."""
    digest = hashlib.sha256()
    for terms in catalog.all():
        digest.update(terms.model_dump_json().encode("utf-8"))
    for identity in identities.versions:
        digest.update(identity.model_dump_json().encode("utf-8"))
    for path in engine_sources():
        digest.update(path.name.encode("utf-8") + path.read_bytes())
    return digest.hexdigest()


def engine_sources() -> Iterable[Path]:
    for package in ENGINE_PACKAGES:
        root = Path(package.__file__).parent
        yield from sorted(root.rglob("*.py"))


def advance_tables(sql: object) -> None:
    """The advance's tables (infrastructure/sql/portable.py), which a store kept by an earlier version may lack."""
    with sql.transaction(schema=True):
        sql.create_schema("advance")


def last_billed(sql: object) -> BilledRun | None:
    with sql.reading():
        rows = sql.execute("advance.last_billed")
    return BilledRun.from_dict(json.loads(rows[0][0])) if rows else None


def keep_billed(sql: object, run: str, billed: BilledRun) -> None:
    with sql.transaction():
        sql.execute("advance.forget_billed")
        sql.execute("advance.keep_billed", (run, json.dumps(billed.as_dict(), sort_keys=True)))


def changed_since(app: object, sql: object, billed: BilledRun, head: int) -> set[str]:
    """The clients of the events up to `head` written since `billed` by anyone but its run (the
    streams view must have followed the log to `head`)."""
    written = [(p, a) for p, a in app.recorder.billing_written_after(billed.start) if p <= head]
    with sql.reading():
        owners = dict(sql.select_in("streams.of", sorted({str(a) for _, a in written})))
    return billed.changed_clients(written, lambda aggregate: owners.get(str(aggregate)))


def keep_kept_run(s: object, to: object, head: int, written: object, ledger: Ledger) -> None:
    """What a run of the scheduler's kept service billed (infrastructure/scheduler.py), for a
    one-shot `billing advance` after it: its ledger folded every client up to `head` at least."""
    if not written.complete:
        return
    billed = billed_by_ledger(to, billing_digest(s.catalog, s.identities), head, written.positions, ledger)
    with s._sql() as sql:
        advance_tables(sql)
        keep_billed(sql, f"kept@{to.isoformat()}@{head}", billed)
