"""`billing urssaf status`: where each avance immédiate request stands, as recorded: not sent yet
(an outage or a deferral: the next run sends it), refused with URSSAF's reason, or its last status."""

from __future__ import annotations

from typing import Any

from application.urssaf_port import STATUS_LABELS
from domain.money import fmt
from domain.urssaf_requests import UrssafRequest
from projections.ledger import Ledger


def urssaf_status(ledger: Ledger, client_id: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for doc in ledger.documents(lambda d: bool(d.details.get("avance_immediate"))):
        if client_id in (None, doc.client_id):
            request = ledger.aggregates.get(UrssafRequest.id_for(doc.number))
            rows.append({"number": doc.number, "client_id": doc.client_id, "issued_on": doc.issued_on.isoformat(),
                         "amount": fmt(doc.details["avance_immediate"]["amount"]), **request_state(request)})
    return rows


def request_state(request: UrssafRequest | None) -> dict[str, Any]:
    if request is None:
        return {"state": "not sent yet", "request_id": None, "status": None, "error": None}
    if request.request_id is None:
        return {"state": "refused", "request_id": None, "status": None, "error": request.error}
    code = request.last_code or 10
    return {"state": STATUS_LABELS.get(code, f"statut {code}"), "request_id": request.request_id, "status": code,
            "error": None}
