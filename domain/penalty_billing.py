"""The penalty invoice a provider may ask for (C. com. L441-10; CGV art. 9): the interest accrued
on each late invoice since the last penalty invoice, and the recovery fee once per late invoice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from domain.documents import Draft, Line, exempt_line
from domain.issuing import IssuedDocument
from domain.penalties import Lateness
from domain.terms import BtbTerms, EtincelleTerms


def penalty_draft(
    client_id: str, late: list[tuple[IssuedDocument, Lateness]], interest_before: dict[str, Decimal],
    fees_before: set[str], terms: BtbTerms | EtincelleTerms, as_of: date,
) -> Draft | None:
    lines: list[Line] = []
    items = []
    for doc, lateness in late:
        interest = max(lateness.interest - interest_before.get(doc.number, Decimal(0)), Decimal(0))
        fee = Decimal(0) if doc.number in fees_before else terms.late_payment.claimable_fee
        lines += penalty_lines(doc, lateness, interest, fee, terms)
        if interest or fee:
            items.append({"invoice": doc.number, "interest": interest, "fee": fee, "days_late": lateness.days_late})
    if not lines:
        return None
    return Draft(f"penalty:{client_id}:{as_of.isoformat()}", "invoice", terms.provider, client_id, as_of,
                 terms.reference, tuple(lines), (terms.late_payment.printed_mention,), terms.payment_due_days,
                 {"penalties": items, "as_of": as_of})


def penalty_target(doc: IssuedDocument, terms: BtbTerms | EtincelleTerms) -> Draft | None:
    """What an issued penalty invoice should have billed, when it billed a fee that may not be
    claimed (a consumer's: INTERPRETATION.md): the same without it, so it is credited back."""
    if terms.late_payment.claimable_fee or not any(line.code == "recovery_fee" for line in doc.lines):
        return None
    return replace(doc.draft, lines=tuple(line for line in doc.lines if line.code != "recovery_fee"))


def penalty_lines(doc: IssuedDocument, lateness: Lateness, interest: Decimal, fee: Decimal,
                  terms: BtbTerms | EtincelleTerms) -> list[Line]:
    rule = terms.late_payment
    source = (f"document:{doc.number}",)
    lines = []
    if interest:
        what = (f"Intérêts de retard – facture {doc.number} échue le {lateness.due_on:%d/%m/%Y}, "
                f"{lateness.days_late} jours de retard")
        lines.append(exempt_line("late_penalty", what, 1, interest, rule.printed_penalty_mention, rule.article, source))
    if fee:
        what = f"Indemnité forfaitaire pour frais de recouvrement – facture {doc.number}"
        lines.append(exempt_line("recovery_fee", what, 1, fee, rule.printed_penalty_mention, rule.article, source))
    return lines
