"""Issuing the annual tax attestations (CGV art. 8 bis 8.4): on the first run of a year, each
L'Étincelle client who paid for eligible services in the year before gets its attestation; a
later run that finds other amounts for an attested year issues a corrected version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import structlog
from eventsourcing.persistence import IntegrityError

from application.app import BillingApp
from domain.base import Stamp
from domain.calendar import end_of_day
from domain.clients import Client
from domain.identities import ProviderIdentities, buyer
from domain.issuing import IssuedDocument
from domain.tax_attestations import TaxAttestation, attestation_content, first_issue_day, same_amounts
from domain.terms_catalog import TermsCatalog
from application.books.attestations import Attestation, attestations
from application.ledger import Ledger

log = structlog.get_logger("billing.attestations")
PROVIDER = "etincelle"


def years_to_attest(ledger: Ledger, to: date) -> list[int]:
    """The years L'Étincelle issued documents in whose attestations may be issued by `to`."""
    years = {d.issued_on.year for d in ledger.of_type(IssuedDocument) if d.provider == PROVIDER}
    return sorted(y for y in years if first_issue_day(y) <= to)


def clients_to_attest(ledger: Ledger, years: list[int], attested_up_to: date | None) -> set[str] | None:
    """Every client (None); for a ledger kept since it was attested up to `attested_up_to`, and no
    year attestable since, only the clients it touched since: the others' amounts stand."""
    if attested_up_to is None or ledger.all_touched or any(first_issue_day(y) > attested_up_to for y in years):
        return None
    return set(ledger.touched)


def issue_attestations(app: BillingApp, ledger: Ledger, catalog: TermsCatalog, identities: ProviderIdentities,
                       to: date, clock: Callable[[], datetime], attested_up_to: date | None = None) -> list[str]:
    """The attestations issued by this run, as "client/year v<version>"; `attested_up_to`: see
    `clients_to_attest`."""
    issued = []
    years = years_to_attest(ledger, to)
    only = clients_to_attest(ledger, years, attested_up_to)
    for year in years:
        for amounts in attestations(ledger, catalog, year, only=only):
            attestation = one_attestation(app, ledger, amounts, identities, to, clock)
            if attestation is not None and save(app, attestation):
                issued.append(f"{amounts.client_id}/{year} v{attestation.last.number}")
    return issued


def one_attestation(app: BillingApp, ledger: Ledger, amounts: Attestation, identities: ProviderIdentities,
                    to: date, clock: Callable[[], datetime]) -> TaxAttestation | None:
    """The client's attestation with a new version, or None if it needs none. The ledger's copy
    says whether; the new version is recorded on the stored one (the ledger follows it later)."""
    stamp = Stamp(end_of_day(to), clock())
    found = ledger.aggregates.get(TaxAttestation.id_for(amounts.client_id, amounts.year))
    if found is None and not amounts.eligible_paid:
        return None
    if found is not None and found.last is not None and same_amounts(found.last.content, amounts.amounts()):
        return None
    attestation = app.repository.get(found.id) if found else TaxAttestation.open(amounts.client_id, amounts.year,
                                                                                 stamp)
    issued_on = to if attestation.last else first_issue_day(amounts.year)
    client = ledger.aggregates[Client.id_for(amounts.client_id)]
    content = attestation_content(amounts.year, amounts.amounts(), identities.seller(PROVIDER, issued_on),
                                  buyer(client, end_of_day(issued_on)))
    return attestation if attestation.issue(content, issued_on, stamp) else None


def save(app: BillingApp, attestation: TaxAttestation) -> bool:
    try:
        app.save(attestation)
    except IntegrityError:  # a concurrent run issued it first: its version stands
        log.info("attestation_already_issued", client_id=attestation.client_id, year=attestation.year)
        return False
    log.info("attestation_issued", client_id=attestation.client_id, year=attestation.year,
             version=attestation.last.number)
    return True
