"""What a French invoice or credit note must say besides its lines (C. com. L441-9, R123-237;
CGI art. 242 nonies A, 293 B, 261 C; for services à la personne C. trav. D7233-1), derived from
the issued document, the terms version it names and the parties it keeps: the same document
always reads the same."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from domain.documents import Line
from domain.money import ZERO

TITLES = {"invoice": "Facture", "credit_note": "Avoir"}
CATEGORY = "Prestations de services"  # e-invoicing reform: the category of the operation
NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."  # C. com. L441-9: the discount terms, even none


def vat_recap(lines: list[Line]) -> list[dict[str, Any]]:
    """Per VAT rate: the base, the VAT and the exemption mention (CGI art. 242 nonies A)."""
    by_rate: dict[Decimal, list[Line]] = defaultdict(list)
    for line in lines:
        by_rate[line.vat_rate].append(line)
    return [{"vat_rate": rate, "base_ht": sum((ln.total_ht for ln in group), ZERO),
             "vat": sum((ln.vat for ln in group), ZERO),
             "mention": next((ln.mention for ln in group if ln.mention), None)}
            for rate, group in sorted(by_rate.items(), reverse=True)]


def legal_mentions(doc: Any, terms: Any, seller: dict, buyer: dict) -> dict[str, Any]:
    late = terms.late_payment
    mentions: dict[str, Any] = {
        "title": TITLES[doc.kind], "operation_category": CATEGORY, "vat_recap": vat_recap(doc.lines),
        "exemptions": sorted({line.mention for line in doc.lines if line.mention}),
        "due_on": doc.due_on, "late_payment": late.printed_mention,
    }
    if not late.consumer_clients:  # C. com. L441-10: the fee and the discount terms, for professionals
        mentions |= {"recovery_fee": late.claimable_fee, "early_payment_discount": NO_DISCOUNT}
    if doc.details.get("refers_to"):
        mentions["corrects"] = doc.details["refers_to"]
    eligible = [line for line in doc.lines if line.eligible]
    if eligible:
        mentions["services_a_la_personne"] = sap_mentions(eligible, doc.details, seller, buyer)
    return mentions


def sap_mentions(eligible: list[Line], details: dict, seller: dict, buyer: dict) -> dict[str, Any]:
    """C. trav. D7233-1 and the tax credit's rules: who provides, under which declaration, what,
    by whom, for how long at what rate, at which address, and what URSSAF advanced."""
    return {
        "organisme": seller.get("name"), "declaration": seller.get("sap_declaration"),
        "nature": seller.get("sap_nature"), "intervenant": seller.get("representative"),
        "client_address": buyer.get("address"),
        # A session's line is billed by the hour (CGV art. 3): its quantity in hours, its unit price the rate.
        "interventions": [{"description": line.description, "hours": line.hours, "hourly_rate": line.unit_price}
                          for line in eligible],
        "hours": sum((line.hours for line in eligible), Decimal(0)),
        "avance_immediate": details.get("avance_immediate"),
        "missing": [name for name, value in (("declaration", seller.get("sap_declaration")),
                                             ("client_address", buyer.get("address"))) if value is None],
    }
