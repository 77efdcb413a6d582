"""Who is using the console: the API token given at the login page, kept in an HttpOnly,
SameSite=Strict cookie (a script cannot read it, another site cannot send it), and a CSRF token
derived from it that every form posts back."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from infrastructure.http.tokens import ApiToken, TokenStore

COOKIE = "billing_console"
PATH = "/console"


class LoginRequired(Exception):
    """No live token in the cookie: the page sends the browser to the login page."""


class ForbiddenPage(Exception):
    """The token's role may not see this page, or a form came without its CSRF token."""


def csrf_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"billing console csrf", hashlib.sha256).hexdigest()


def current_token(request: Request) -> ApiToken:
    secret = request.cookies.get(COOKIE)
    tokens: TokenStore = request.app.state.tokens
    token = tokens.verify(secret) if secret else None
    if token is None:
        raise LoginRequired()
    request.state.token_id = token.id  # for the access log: the id, never the secret
    request.state.csrf = csrf_token(secret or "")
    return token


def needing(permission: str):
    """A dependency: the console's token, which must have this permission."""

    def check(request: Request) -> ApiToken:
        token = current_token(request)
        if not token.may(permission):
            raise ForbiddenPage(f"un jeton {token.role} ne peut pas {permission}")
        return token

    return check


def checked_form(request: Request, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent, request.state.csrf):
        raise ForbiddenPage("formulaire sans jeton CSRF valide : rechargez la page")
