"""`billing terms diff` and `billing terms check`: what changed between two versions, in words,
and what in a version deserves a warning."""

from __future__ import annotations

from typing import Any

from domain.terms_catalog import AnyTerms

LABELS = {
    "extra_price": "extra appointment price", "included": "appointments included per month",
    "anomaly_window_jours_ouvrables": "anomaly window (jours ouvrables)", "notice_days": "notice (days)",
    "minimum_periods": "minimum commitment (periods)", "discount_percent": "prepayment discount (%)",
    "notice_hours": "cancellation notice (hours)", "credit_percent": "avance immédiate share (%)",
    "price_ttc": "Starter Pack price TTC", "recovery_fee": "recovery fee", "points": "penalty points over ECB",
    "ecb_multiplier": "ECB rate multiplier", "validation_hours": "URSSAF validation delay (hours)",
    "debit_delay_days": "URSSAF debit delay (days)", "remedy_days": "breach remedy delay (days)",
}
SKIP = {"reference", "title", "derived_from", "source"}


def flatten(data: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(data, dict):
        return {k: v for name, value in data.items() if name not in SKIP or path
                for k, v in flatten(value, (*path, name)).items()}
    return {path: data}


def describe(path: tuple[str, ...]) -> str:
    label = LABELS.get(path[-1], path[-1].replace("_", " "))
    where = " ".join(path[:-1])
    return f"{where}: {label}" if where else label


def terms_diff(a: AnyTerms, b: AnyTerms) -> list[str]:
    left, right = flatten(a.model_dump(mode="json")), flatten(b.model_dump(mode="json"))
    changes = []
    for path in sorted(set(left) | set(right)):
        if path not in right:
            changes.append(f"{describe(path)} removed (was {left[path]})")
        elif path not in left:
            changes.append(f"{describe(path)} added: {right[path]}")
        elif left[path] != right[path]:
            changes.append(f"{describe(path)} changed from {left[path]} to {right[path]}")
    return changes


def terms_warnings(terms: AnyTerms) -> list[str]:
    warnings = []
    late = terms.late_payment
    if late.consumer_clients and late.recovery_fee > 0:
        # INTERPRETATION.md, L'Étincelle "Late payment"
        warnings.append(f"the flat recovery fee of {late.recovery_fee} € ({late.article}) binds professionals "
                        "only (C. com. L441-10, D441-5): it cannot be claimed from consumer clients")
    return warnings
