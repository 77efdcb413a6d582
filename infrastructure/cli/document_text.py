"""An issued document as a person reads it (`billing invoices`, table format): title, both
parties, every line in full, the VAT recap, the totals and every mention of the document."""

from __future__ import annotations

import textwrap
from typing import Any

from infrastructure.cli.output import table, terminal_width
from infrastructure.documents.html import payment

PARTY_FIELDS = (("legal_form", "{}"), ("capital", "au capital de {} €"), ("siren", "SIREN {}"), ("siret", "SIRET {}"),
                ("rcs", "{}"), ("vat_number", "TVA {}"), ("orias", "ORIAS {}"), ("sap_declaration", "SAP n° {}"),
                ("email", "{}"), ("phone", "{}"))


def document_text(doc: dict[str, Any]) -> str:
    """The document; on a terminal, its prose wrapped to the terminal's width (the lines' table
    wraps its own text columns)."""
    width, lines = terminal_width(), lines_table(doc["lines"])
    return "\n".join(part if part is lines or width is None or len(part) <= width else wrapped(part, width)
                     for part in document_parts(doc, lines))


def wrapped(text: str, width: int) -> str:
    indent = text[:len(text) - len(text.lstrip())]
    return "\n".join(textwrap.wrap(text.strip(), width, initial_indent=indent, subsequent_indent=indent + "  "))


def document_parts(doc: dict[str, Any], lines: str) -> list[str]:
    m = doc["mentions"]
    return list(dict.fromkeys([  # a mention the notes already carry is printed once
        f"{m['title'].upper()} {doc['number']} – émise le {doc['issued_on']}, échéance le {doc['due_on']}"
        f" – {m['operation_category']} – conditions {doc['terms']}",
        "Émetteur : " + party(doc["seller"]),
        "Client : " + party(doc["buyer"] | {"name": f"{doc['buyer'].get('name')} ({doc['client_id']})"}),
        *([f"Identités : {doc['parties']}"] if doc["parties"] != "issued" else []),
        *([f"Corrige la facture {m['corrects']['number']} du {m['corrects']['issued_on']}"] if "corrects" in m else []),
        lines,
        "TVA : " + " ; ".join(f"{r['vat_rate']} % sur {r['base_ht']} = {r['vat']}" + (f" ({r['mention']})" if r["mention"]
                                                                                    else "") for r in m["vat_recap"]),
        f"Total HT {doc['total_ht']}  TVA {doc['total_vat']}  TTC {doc['total_ttc']}"
        f"  payé {doc['paid']}  reste dû {doc['balance']}",
        *doc["notes"],
        *payment_terms(m),
        *sap_text(m.get("services_a_la_personne")),
    ]))


def party(p: dict[str, Any]) -> str:
    address = p.get("address")
    where = ", ".join(v for v in (address or {}).values() if v) if address else None
    parts = [p.get("name") or "identité manquante", *(fmt.format(p[k]) for k, fmt in PARTY_FIELDS if p.get(k)),
             *([where] if where else [])]
    missing = p.get("missing", [])
    return ", ".join(parts) + (f" – manquant : {', '.join(missing)}" if missing else "")


def lines_table(lines: list[dict[str, Any]]) -> str:
    rows = [[ln["code"], ln["description"], ln["quantity"], ln["unit_price"], ln["total_ht"], ln["vat_rate"] + "%",
             ln["vat"], ln["total_ttc"]] for ln in lines]
    return table(["code", "description", "qty", "unit HT", "HT", "VAT%", "VAT", "TTC"], rows, {2, 3, 4, 5, 6, 7})


def payment_terms(m: dict[str, Any]) -> list[str]:
    return payment(m, lambda amount: f"{amount} €")


def sap_text(sap: dict[str, Any] | None) -> list[str]:
    if sap is None:
        return []
    lines = [f"Services à la personne : {sap['organisme']}, déclaration n° {sap['declaration'] or 'manquant'}, "
             f"{sap['nature'] or 'nature manquante'}, intervenant {sap['intervenant'] or 'manquant'}, "
             f"{sap['hours']} h, adresse de l'intervention : {', '.join((sap['client_address'] or {}).values()) or 'manquante'}"]
    lines += [f"  {i['description']} – {i['hours']} h à {i['hourly_rate']} €/h" for i in sap["interventions"]]
    return lines
