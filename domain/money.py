"""Money is Decimal euros, rounded half-up to the cent on each line."""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# Billing rounds and prints the same few amounts again and again; both are pure.
@lru_cache(maxsize=1 << 16)
def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=1 << 16)
def fmt(amount: Decimal) -> str:
    """The contract's string form of an amount: two decimals, no exponent."""
    return f"{to_cents(amount):.2f}"


def percent_of(amount: Decimal, rate_percent: Decimal) -> Decimal:
    return to_cents(amount * rate_percent / Decimal(100))
