"""Bearer tokens on every data endpoint: 401 without a live token, 403 beyond its role or scope."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infrastructure.http.problems import Problem
from infrastructure.http.tokens import ApiToken, TokenStore

bearer = HTTPBearer(auto_error=False, description="an API token: `billing tokens create`")
WHERE = [{"field": "Authorization"}]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="billing"'}


def authenticated(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiToken:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "a bearer token is required (Authorization: Bearer <token>)", WHERE, CHALLENGE)
    tokens: TokenStore = request.app.state.tokens
    token = tokens.verify(credentials.credentials)
    if token is None:
        raise Problem(401, "the token is unknown, wrong or revoked", WHERE, CHALLENGE)
    request.state.token_id = token.id  # for the access log: the id, never the secret
    wait = request.app.state.limiter.retry_after(f"token:{token.id}")
    if wait is not None:
        raise Problem(429, "too many refused requests with this token; try again later", WHERE,
                      {"Retry-After": str(wait)})
    return token


def allowed(permission: str) -> Callable[..., ApiToken]:
    """A dependency: the caller's token, refused with 403 if its role lacks ``permission``."""

    def check(token: ApiToken = Depends(authenticated)) -> ApiToken:
        if not token.may(permission):
            raise Problem(403, f"a {token.role} token may not {permission}",
                          [{"field": "Authorization", "detail": f"role {token.role} lacks {permission}"}])
        return token

    return check


def provider_filter(token: ApiToken, requested: str | None) -> str | None:
    """The provider a read keeps: the one asked (403 if beyond the scope), else the only one
    in scope, else None (both)."""
    if requested is not None:
        if requested not in token.providers:
            raise Problem(403, f"this token's scope is {', '.join(token.providers)}; not {requested}",
                          [{"field": "provider", "detail": "out of the token's provider scope"}])
        return requested
    return token.providers[0] if len(token.providers) == 1 else None
