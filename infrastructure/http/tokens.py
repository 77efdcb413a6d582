"""API tokens: a role and a provider scope each, kept hashed in ``billing_api_tokens``.

A token reads ``bk_<id>_<secret>``: ``id`` (8 hex digits) names the row and may be shown and
logged; the secret (256 random bits) is never stored nor logged. The row keeps the SHA-256 of
the whole token: with that much entropy a plain hash cannot be brute-forced, and a lookup by
id then a constant-time comparison of hashes checks it.

Roles: ``service`` appends facts only; ``finance`` reads; ``auditor`` reads and replays.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from domain.errors import BillingError
from infrastructure.http.sql import Sql

ROLES = ("service", "auditor", "finance")
PROVIDERS = ("btbconnect", "etincelle")
PERMISSIONS = {"service": {"append"}, "finance": {"read"}, "auditor": {"read", "replay"}}
SHAPE = re.compile(r"^bk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$")


class TokenError(BillingError):
    """A token command that cannot be done (unknown role, provider or id)."""


@dataclass(frozen=True)
class ApiToken:
    id: str
    name: str
    role: str
    providers: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "role": self.role, "providers": list(self.providers),
                "created_at": self.created_at, "revoked_at": self.revoked_at}


class TokenStore:
    def __init__(self, url: str) -> None:
        self.sql = Sql(url)
        self.sql.create("tokens.create")

    def create(self, role: str, providers: list[str], name: str = "") -> tuple[ApiToken, str]:
        """The new token's record and its secret, which is shown once and never again."""
        if role not in ROLES:
            raise TokenError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        scope = tuple(p for p in PROVIDERS if p in providers)
        if not scope or set(providers) - set(PROVIDERS):
            raise TokenError(f"unknown provider scope {providers!r}: use btbconnect, etincelle or both")
        token_id = secrets.token_hex(4)
        secret = f"bk_{token_id}_{secrets.token_urlsafe(32)}"
        record = ApiToken(token_id, name, role, scope, _now())
        self.sql.run("tokens.insert", (token_id, name, role, ",".join(scope), _hash(secret), record.created_at))
        return record, secret

    def list(self) -> list[ApiToken]:
        return [_record(row) for row in self.sql.rows("tokens.all")]

    def revoke(self, token_id: str) -> ApiToken:
        self.sql.run("tokens.revoke", (_now(), token_id))
        rows = self.sql.rows("tokens.of", (token_id,))
        if not rows:
            raise TokenError(f"no token {token_id!r}: see `billing tokens list`")
        return _record(rows[0])

    def verify(self, secret: str) -> ApiToken | None:
        """The live token this secret is, or None (malformed, unknown, wrong or revoked)."""
        match = SHAPE.match(secret)
        if match is None:
            return None
        rows = self.sql.rows("tokens.with_hash", (match.group(1),))
        if not rows or not hmac.compare_digest(rows[0][6], _hash(secret)):
            return None
        record = _record(rows[0][:6])
        return None if record.revoked_at else record

    def close(self) -> None:
        self.sql.close()


def _record(row: tuple) -> ApiToken:
    return ApiToken(row[0], row[1], row[2], tuple(row[3].split(",")), row[4], row[5])


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
