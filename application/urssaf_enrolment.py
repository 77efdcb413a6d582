"""Registers L'Étincelle's clients with URSSAF (API Tiers de prestation, POST /particulier) and
records the idClient it gives (CGV art. 8 bis). The client must then activate the account URSSAF
opened (`urssaf.account_activated`) before any payment request is sent for them.

The registration is personal data, held sealed (CGV art. 8.5, 12): `opened_registration` is the
one place it is opened, for the calls to URSSAF that need it, and never kept or logged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from application.urssaf_port import UrssafGateway
from application.urssaf_registration import unflattened
from domain.base import Stamp
from domain.urssaf_account import UrssafAccount
from application.ledger import Ledger

log = structlog.get_logger("billing.urssaf")


def opened_registration(vault: Any, account: UrssafAccount) -> dict[str, Any] | None:
    """The client's registration as sealed; None once its key was shredded (erased)."""
    data = vault.open(account.client_id, account.sealed_registration) if vault is not None else None
    return unflattened(data) if data else None


def to_enrol(ledger: Ledger, at: datetime) -> list[UrssafAccount]:
    """Registered with the engine, complete for the API, not known to URSSAF yet, not renounced."""
    return [a for a in ledger.of_type(UrssafAccount)
            if a.urssaf_client_id is None and a.complete_for_api and a.registered_at <= at
            and (a.renounced_at is None or a.renounced_at > at)]


class UrssafEnrolment:
    def __init__(self, app: Any, vault: Any, gateway: UrssafGateway, clock: Callable[[], datetime]):
        self.app, self.vault, self.gateway, self.clock = app, vault, gateway, clock

    def enrol(self, ledger: Ledger, at: datetime) -> int:
        enrolled = 0
        for account in to_enrol(ledger, at):
            enrolled += self._enrol_one(account, at)
        return enrolled

    def _enrol_one(self, account: UrssafAccount, at: datetime) -> int:
        data = opened_registration(self.vault, account)
        if data is None:
            log.info("urssaf_enrolment_skipped", client=account.client_id, reason="registration erased")
            return 0
        answer = self.gateway.register(account.client_id, data)
        live = self.app.repository.get(account.id)
        stamp = Stamp(at, self.clock())
        if answer.urssaf_client_id is not None:
            live.enrol(answer.urssaf_client_id, stamp)
        elif answer.error != live.enrolment_error:
            live.refuse_enrolment(answer.error or "refused", stamp)
        self.app.save(live)
        log.info("urssaf_client_registered", client=account.client_id, error=answer.error)
        return 1 if answer.urssaf_client_id is not None else 0
