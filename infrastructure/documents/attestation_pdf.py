"""An issued tax attestation as a PDF in French (CGV art. 8 bis 8.4; C. trav. D7233-1; CGI art.
199 sexdecies): the organisme and its SAP declaration, the client and its address, the sums paid
in the year by the client and by URSSAF, the hours, the interventions by month, the issue date."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from typing import Any

import weasyprint

from domain.errors import BillingError
from infrastructure.documents.html import STYLE, day, euros, number, party
from infrastructure.documents.pdf import clock_at


def attestation_pdf(row: dict[str, Any]) -> bytes:
    if row["status"] != "issued":
        raise BillingError(f"the {row['year']} attestation of {row['client_id']} is not issued yet: the first "
                           f"`billing advance` of {row['year'] + 1} issues it")
    issued = datetime.fromisoformat(row["issued_on"]).replace(tzinfo=timezone.utc)
    with clock_at(issued):
        return weasyprint.HTML(string=attestation_html(row)).write_pdf(pdf_variant="pdf/a-3b")


def attestation_html(a: dict[str, Any]) -> str:
    months = "".join(f"<tr><td>{escape(m['month'])}</td><td class='n'>{number(m['hours'])} h</td>"
                     f"<td class='n'>{euros(m['eligible_paid'])}</td></tr>" for m in a["months"])
    corrected = f" (remplace la version {a['corrects']})" if a.get("corrects") else ""
    body = [f"<h1>{escape(a['title'])} {a['year']}</h1>",
            f"<p>Émise le {day(a['issued_on'])}, version {a['version']}{corrected}.</p>",
            f"<div class='parties'><div><b>Organisme</b><br>{party(a['organisme'])}</div>"
            f"<div><b>Bénéficiaire</b> ({escape(a['client_id'])})<br>{party(a['client'])}</div></div>",
            f"<p>Sommes versées en {a['year']} pour des services ouvrant droit au crédit d'impôt : "
            f"<b>{euros(a['eligible_paid'])}</b>, dont {euros(a['paid_by_client'])} par le client et "
            f"{euros(a['avance_immediate'])} par l'URSSAF (avance immédiate), pour {number(str(a['hours']))} heures.</p>",
            "<table><tr><th>Mois</th><th class='n'>Heures</th><th class='n'>Sommes versées</th></tr>"
            f"{months}</table>",
            f"<p class='small'>{escape(a['mention'])}</p>"]
    return (f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>{escape(a['title'])} {a['year']}"
            f"</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>")
