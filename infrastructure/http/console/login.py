"""The console's login page: an API token, checked as the API checks it, then kept in an
HttpOnly, SameSite=Strict cookie; logging out forgets it."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from infrastructure.http.console.rendering import templates
from infrastructure.http.console.session import COOKIE, PATH, checked_form, current_token
from infrastructure.http.tokens import TokenStore

router = APIRouter(prefix=PATH, include_in_schema=False)


@router.get("/login")
async def login_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": None})


@router.post("/login")
async def login(request: Request, token: str = Form("")) -> Response:
    tokens: TokenStore = request.app.state.tokens
    found = tokens.verify(token.strip())
    if found is None or not (found.may("read") or found.may("replay")):
        # a 401: the API's failure limit counts it against the address (infrastructure/http/access.py)
        error = "Jeton inconnu, révoqué, ou sans droit de lecture : demandez un jeton finance ou auditor."
        return templates.TemplateResponse(request, "login.html", {"error": error}, status_code=401)
    response = RedirectResponse(f"{PATH}/invoices", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", path=PATH,
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
async def logout(request: Request, csrf: str = Form("")) -> Response:
    current_token(request)
    checked_form(request, csrf)
    response = RedirectResponse(f"{PATH}/login", status_code=303)
    response.delete_cookie(COOKIE, path=PATH)
    return response
