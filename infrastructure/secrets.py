"""Keys the engine takes from its environment (kept outside the database): base64 of 32 bytes."""

from __future__ import annotations

import base64
import binascii
import os

from domain.errors import BillingError

KEY_BYTES = 32


def key_from_environment(variable: str, error: type[BillingError] = BillingError) -> bytes | None:
    """The key in `variable`, or None when it is unset; `error` when it is not such a key."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{variable} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise error(f"{variable} must be the base64 of exactly {KEY_BYTES} bytes")
    return key
