"""What an issued document makes owed, and by whom (INTERPRETATION.md, "Payments" and
"Avance immédiate"): the client, or URSSAF for the eligible lines it takes on."""

from __future__ import annotations

from datetime import datetime

from domain.allocation import URSSAF, Due, Settlement
from domain.issuing import IssuedDocument
from domain.money import ZERO
from domain.urssaf_requests import RequestTimeline


def document_dues(
    doc: IssuedDocument, timeline: RequestTimeline | None, as_of: datetime,
) -> tuple[list[Due], list[Settlement]]:
    total = sum((line.total_ttc for line in doc.lines), ZERO)
    eligible = sum((line.total_ttc for line in doc.lines if line.eligible), ZERO)
    hours = sum((line.hours for line in doc.lines), ZERO)
    info = doc.details.get("avance_immediate")
    if not info or timeline is None:
        return [Due(doc.number, doc.issued_on, total, eligible=eligible, hours=hours)], []
    amount = info["amount"]
    dues = []
    if total != amount:
        dues.append(Due(doc.number, doc.issued_on, total - amount, eligible=eligible - amount,
                        hours=hours - info["hours"]))
    fallback = timeline.falls_back_at
    if fallback is not None and fallback <= as_of:
        return [*dues, Due(doc.number, doc.issued_on, amount, since=fallback, eligible=amount,
                           hours=info["hours"])], []
    dues.append(Due(doc.number, doc.issued_on, amount, payer=URSSAF, eligible=amount,
                    hours=info["hours"], credit=info["urssaf_share"]))
    debit = timeline.debit_at
    if debit is None or debit > as_of:
        return dues, []
    return dues, [Settlement(f"urssaf:{doc.number}", debit, amount, doc.number, payer=URSSAF)]
