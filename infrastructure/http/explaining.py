"""Optional engine features the API offers when the engine has them: a document's explanation
(``application.explain.explain``) and the replay of history under another terms version
(``application.replay.replay``). Missing, they degrade: no explanation; 501 for replay."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import structlog

from domain.errors import BillingError
from domain.terms_catalog import TermsCatalog
from application.ledger import Ledger

log = structlog.get_logger("billing.http")


def feature(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def explanation(ledger: Ledger, catalog: TermsCatalog, number: str) -> Any | None:
    explain = feature("application.explain", "explain")
    return None if explain is None else guarded(number, lambda: explain(ledger, catalog, number))


def kept_or_worked_out(services: Any, number: str) -> Any | None:
    """The document's explanation as the services keep it (infrastructure/cli/wiring.py)."""
    return guarded(number, lambda: services.explanation(number))


def guarded(number: str, work: Callable[[], Any]) -> Any | None:
    try:
        return work()
    except BillingError:
        return None
    except Exception as exc:  # an explanation is a bonus: the document is answered without it
        log.warning("explanation_failed", number=number, error=type(exc).__name__)
        return None


def replayed(ledger: Ledger, catalog: TermsCatalog, reference: str, provider: str) -> dict[str, Any] | None:
    """The replay's report as a dict, or None when the engine has no replay yet."""
    replay = feature("application.replay", "replay")
    if replay is None:
        return None
    names = list(inspect.signature(replay).parameters)
    wants_version = len(names) > 2 and names[2] in ("version", "terms")
    terms = catalog.get(reference) if wants_version else reference
    extra = {"provider": provider} if "provider" in names else {}
    report = replay(ledger, catalog, terms, **extra)
    return report.as_dict() if hasattr(report, "as_dict") else report
