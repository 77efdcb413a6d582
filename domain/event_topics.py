"""The topics of the domain's events, found from the class tree so that a new event is never
missed: every module of an aggregate is imported here."""

from __future__ import annotations

import domain.appointments  # noqa: F401 - each aggregate's events must be defined to be found
import domain.clients  # noqa: F401
import domain.issuing  # noqa: F401
import domain.log_seal  # noqa: F401
import domain.records  # noqa: F401
import domain.sessions  # noqa: F401
import domain.starter_packs  # noqa: F401
import domain.subscriptions  # noqa: F401
import domain.tax_attestations  # noqa: F401
import domain.urssaf_account  # noqa: F401
import domain.urssaf_requests  # noqa: F401
from domain.base import BillingAggregate


def event_topics() -> tuple[str, ...]:
    """Every event class of the domain but the fact records' (`module:qualname`), sorted."""
    found, todo = set(), [BillingAggregate.Event]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if not cls.__qualname__.startswith(("FactRecord.", "BillingAggregate.")):
            found.add(f"{cls.__module__}:{cls.__qualname__}")
    return tuple(sorted(found))
