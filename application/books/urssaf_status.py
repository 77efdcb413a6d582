"""`billing urssaf status`: where each avance immédiate request stands, as recorded: not sent yet
and why (the client's registration with URSSAF, its activation, an outage: the next run sends
it), to be sent again after a refusal that was not final, refused for good with URSSAF's reason,
or its last status (with the rejection or the payment URSSAF reported)."""

from __future__ import annotations

from typing import Any

from application.urssaf_port import STATUS_LABELS
from domain.money import fmt
from domain.urssaf_account import UrssafAccount
from domain.urssaf_requests import UrssafRequest
from application.ledger import Ledger


def urssaf_status(ledger: Ledger, client_id: str | None = None, real_api: bool = False) -> list[dict[str, Any]]:
    """`real_api`: the engine talks to URSSAF's API, which must know the client (else the simulator)."""
    rows = []
    for doc in ledger.documents(lambda d: bool(d.details.get("avance_immediate"))):
        if client_id in (None, doc.client_id):
            request = ledger.aggregates.get(UrssafRequest.id_for(doc.number))
            account = ledger.aggregates.get(UrssafAccount.id_for(doc.client_id))
            rows.append({"number": doc.number, "client_id": doc.client_id, "issued_on": doc.issued_on.isoformat(),
                         "amount": fmt(doc.details["avance_immediate"]["amount"]), **request_state(request),
                         "waiting_for": waiting_for(account) if real_api and (request is None or request.to_send_again)
                         else None,
                         "urssaf_client_id": account.urssaf_client_id if account is not None else None})
    return rows


def request_state(request: UrssafRequest | None) -> dict[str, Any]:
    empty = {"request_id": None, "status": None, "error": None, "rejection": None, "paid": None, "paid_at": None}
    if request is None:
        return {**empty, "state": "not sent yet"}
    if request.request_id is None:
        state = "refused" if request.refused else "to send again"
        return {**empty, "state": state, "error": request.error, "attempts": request.attempts}
    code = request.last_code or 10
    return {**empty, "state": STATUS_LABELS.get(code, f"statut {code}"), "request_id": request.request_id,
            "status": code, "rejection": request.rejection,
            "paid": fmt(request.paid) if request.paid is not None else None,
            "paid_at": request.paid_at.isoformat() if request.paid_at else None}


def waiting_for(account: UrssafAccount | None) -> str | None:
    """What a request to URSSAF's API waits for on the client's side (the simulator waits for nothing)."""
    if account is None:
        return None
    if account.missing_for_api != [] and account.urssaf_client_id is None:
        missing = ", ".join(account.missing_for_api or ["civility, first_names, …"])
        return (f"the client's registration lacks what URSSAF's API needs ({missing}): send a urssaf.client_registered "
                "with them")
    if account.urssaf_client_id is None:
        refused = f" (last refused: {account.enrolment_error})" if account.enrolment_error else ""
        return f"URSSAF to register the client (POST /particulier, at the next run){refused}"
    if account.activated_at is None:
        return "the client to activate their URSSAF account: send urssaf.account_activated"
    return None
