"""Reading and erasing a client's URSSAF registration data (CGV art. 8.5, 12).

Erasing deletes the client's key: the sealed data in the event log can never be read again
(crypto-shredding), while invoices, which never held it, stay intact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import structlog
from eventsourcing.application import AggregateNotFoundError

from application.app import BillingApp
from application.personal_data import masked_iban
from domain.errors import NotFound, UrssafStateError
from domain.urssaf_account import UrssafAccount

log = structlog.get_logger("billing.personal_data")


class KeyVault(Protocol):
    def open(self, client_id: str, token: str) -> dict | None: ...

    def shred(self, client_id: str) -> bool: ...


class PersonalDataService:
    def __init__(self, app: BillingApp, vault: KeyVault, clock: Callable[[], datetime]):
        self.app = app
        self.vault = vault
        self.clock = clock

    def _account(self, client_id: str) -> UrssafAccount:
        try:
            return self.app.repository.get(UrssafAccount.id_for(client_id))
        except AggregateNotFoundError:
            raise NotFound(f"client {client_id!r} has no URSSAF registration") from None

    def show(self, client_id: str) -> dict[str, Any]:
        account = self._account(client_id)
        data = self.vault.open(client_id, account.sealed_registration)
        if data is None:
            return {"client_id": client_id, "erased": True}
        return {"client_id": client_id, "erased": False, **data, "iban": masked_iban(data["iban"])}

    def erase(self, client_id: str) -> bool:
        account = self._account(client_id)
        if account.renounced_at is None:
            raise UrssafStateError(
                f"client {client_id!r} still uses the avance immédiate, which needs this data "
                "(CGV art. 8.5); record urssaf.client_renounced first"
            )
        erased = self.vault.shred(client_id)
        log.info("personal_data_erased", client_id=client_id, had_key=erased)
        return erased
