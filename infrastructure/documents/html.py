"""The page of an issued document, in French (amounts `1 790,00 €`, dates `04/05/2026`), with every
mention the JSON carries; WeasyPrint lays it out on A4."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

THIN, NBSP = "\u202f", "\u00a0"
STYLE = """@page { size: A4; margin: 16mm 14mm; }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4mm; } table { border-collapse: collapse; width: 100%; margin: 3mm 0; }
th, td { border-bottom: 0.3pt solid #999; padding: 1.2mm; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; } .parties { display: flex; gap: 8mm; }
.parties div { flex: 1; } .small { font-size: 7.5pt; color: #333; }"""


def euros(text: str | Decimal) -> str:
    """`1790.00` → `1 790,00 €` (a narrow no-break space between thousands, as French typography)."""
    value = Decimal(text)
    whole, cents = f"{abs(value):,.2f}".split(".")
    sign = "-" if value < 0 else ""
    return sign + whole.replace(",", THIN) + "," + cents + NBSP + "€"


def day(text: str) -> str:
    return date.fromisoformat(text).strftime("%d/%m/%Y")


def number(text: str) -> str:
    return text.replace(".", ",")


def document_html(doc: dict[str, Any]) -> str:
    m = doc["mentions"]
    body = [f"<h1>{escape(m['title'])} n° {escape(doc['number'])}</h1>",
            f"<p>Date d'émission : {day(doc['issued_on'])} – échéance : {day(doc['due_on'])} – "
            f"{escape(m['operation_category'])}</p>",
            f"<div class='parties'><div><b>Émetteur</b><br>{party(doc['seller'])}</div>"
            f"<div><b>Client</b> ({escape(doc['client_id'])})<br>{party(doc['buyer'])}</div></div>",
            *([f"<p>Avoir sur la facture n° {escape(m['corrects']['number'])} du {day(m['corrects']['issued_on'])}</p>"]
              if "corrects" in m else []),
            lines_table(doc["lines"]), recap_table(m["vat_recap"]), totals(doc),
            *(f"<p class='small'>{escape(note)}</p>" for note in dict.fromkeys([*doc["notes"], *payment(m)])),
            *sap(m.get("services_a_la_personne"))]
    return (f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>{escape(m['title'])} "
            f"{escape(doc['number'])}</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>")


def party(p: dict[str, Any]) -> str:
    where = p.get("address") or {}
    rows = [p.get("name") or "identité manquante", where.get("line1"), where.get("line2"),
            " ".join(v for v in (where.get("postal_code"), where.get("city")) if v) or None,
            *(f"{label} {p[key]}" for key, label in (("legal_form", ""), ("siren", "SIREN"), ("siret", "SIRET"),
                                                     ("rcs", ""), ("vat_number", "TVA"), ("orias", "ORIAS"),
                                                     ("sap_declaration", "Déclaration SAP n°")) if p.get(key)),
            *(["Capital : " + euros(p["capital"])] if p.get("capital") else []),
            *(["Manquant : " + ", ".join(p["missing"])] if p.get("missing") else [])]
    return "<br>".join(escape(r.strip()) for r in rows if r)


def lines_table(lines: list[dict[str, Any]]) -> str:
    head = "<tr><th>Désignation</th><th class='n'>Qté</th><th class='n'>PU HT</th><th class='n'>TVA</th>" \
           "<th class='n'>Total HT</th><th class='n'>Total TTC</th></tr>"
    rows = "".join(f"<tr><td>{escape(ln['description'])}</td><td class='n'>{number(ln['quantity'])}</td>"
                   f"<td class='n'>{euros(ln['unit_price'])}</td><td class='n'>{number(ln['vat_rate'])} %</td>"
                   f"<td class='n'>{euros(ln['total_ht'])}</td><td class='n'>{euros(ln['total_ttc'])}</td></tr>"
                   for ln in lines)
    return f"<table>{head}{rows}</table>"


def recap_table(recap: list[dict[str, Any]]) -> str:
    rows = "".join(f"<tr><td>{number(r['vat_rate'])} %</td><td class='n'>{euros(r['base_ht'])}</td>"
                   f"<td class='n'>{euros(r['vat'])}</td><td>{escape(r['mention'] or '')}</td></tr>" for r in recap)
    return ("<table><tr><th>Taux de TVA</th><th class='n'>Base HT</th><th class='n'>TVA</th><th>Mention</th></tr>"
            f"{rows}</table>")


def totals(doc: dict[str, Any]) -> str:
    return (f"<p><b>Total HT : {euros(doc['total_ht'])} – TVA : {euros(doc['total_vat'])} – "
            f"Total TTC : {euros(doc['total_ttc'])}</b></p>")


def payment(m: dict[str, Any], money: Callable[[str], str] = euros) -> list[str]:
    """The payment terms a document states (C. com. L441-9), its amounts written by `money`."""
    found = [m["late_payment"]]
    if "recovery_fee" in m:
        found += [f"Indemnité forfaitaire pour frais de recouvrement : {money(m['recovery_fee'])}.",
                  m["early_payment_discount"]]
    return found


def sap(block: dict[str, Any] | None) -> list[str]:
    if block is None:
        return []
    rows = "".join(f"<li>{escape(i['description'])} – {number(i['hours'])} h à {euros(i['hourly_rate'])}/h</li>"
                   for i in block["interventions"])
    avance = block.get("avance_immediate")
    return [f"<p class='small'><b>Services à la personne</b> – {escape(block['organisme'] or '')}, déclaration n° "
            f"{escape(block['declaration'] or 'manquante')}, {escape(block['nature'] or '')}, intervenant "
            f"{escape(block['intervenant'] or '')}, {number(block['hours'])} h.</p><ul class='small'>{rows}</ul>",
            *([f"<p class='small'>Avance immédiate : {euros(avance['urssaf_share'])} versés par l'URSSAF, "
               f"{euros(avance['client_share'])} à votre charge.</p>"] if avance else [])]
