"""What an issued document makes owed, and by whom (INTERPRETATION.md, "Payments" and
"Avance immédiate"): the client, or URSSAF for the eligible lines it takes on."""

from __future__ import annotations

from datetime import datetime

from domain.allocation import CREDIT_NOTE, URSSAF, Due, Settlement
from domain.calendar import paris_date, start_of_day
from domain.issuing import IssuedDocument
from domain.money import ZERO
from domain.urssaf_timeline import RequestTimeline


def document_dues(
    doc: IssuedDocument, timeline: RequestTimeline | None, as_of: datetime,
) -> tuple[list[Due], list[Settlement]]:
    total = sum((line.total_ttc for line in doc.lines), ZERO)
    total_ht = sum((line.total_ht for line in doc.lines), ZERO)
    eligible = sum((line.total_ttc for line in doc.lines if line.eligible), ZERO)
    hours = sum((line.hours for line in doc.lines), ZERO)
    if doc.kind == "credit_note":
        refers_to = doc.details.get("refers_to", {}).get("number")
        return [], [Settlement(f"credit_note:{doc.number}", start_of_day(doc.issued_on), -total, refers_to,
                               payer=CREDIT_NOTE)]
    info = doc.details.get("avance_immediate")
    if not info or timeline is None:
        return [Due(doc.number, doc.issued_on, total, eligible=eligible, hours=hours, due_on=doc.due_on,
                    ht=total_ht)], []
    amount = info["amount"]
    dues = []
    if total != amount:
        dues.append(Due(doc.number, doc.issued_on, total - amount, eligible=eligible - amount,
                        hours=hours - info["hours"], due_on=doc.due_on))
    fallback = timeline.falls_back_at
    if fallback is not None and fallback <= as_of and not timeline.recovered(as_of):
        # CGV art. 9: payable at the URSSAF échéance; once URSSAF drops out, at once.
        return [*dues, Due(doc.number, doc.issued_on, amount, since=fallback, eligible=amount,
                           hours=info["hours"], due_on=paris_date(fallback))], []
    dues.append(Due(doc.number, doc.issued_on, amount, payer=URSSAF, eligible=amount,
                    hours=info["hours"], credit=info["urssaf_share"]))
    paid = timeline.urssaf_pays(as_of)
    if paid is None:
        return dues, []
    return dues, [Settlement(f"urssaf:{doc.number}", paid[0], paid[1], doc.number, payer=URSSAF)]
