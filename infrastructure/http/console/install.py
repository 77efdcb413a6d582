"""The console mounted on the API's application: its pages, its stylesheet, and what a page
does on a missing login (to the login page), a forbidden page (403) or a bad search (422)."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from infrastructure.http.console import audit_pages, login, pages
from infrastructure.http.console.rendering import BadQuery, page
from infrastructure.http.console.session import PATH, ForbiddenPage, LoginRequired, current_token


def install(app: FastAPI) -> None:
    static = resources.files("infrastructure.http.console") / "static"
    app.mount(f"{PATH}/static", StaticFiles(directory=str(static)), name="console-static")
    for module in (login, pages, audit_pages):
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"{PATH}/login", status_code=303)

    @app.exception_handler(ForbiddenPage)
    async def forbidden(request: Request, exc: ForbiddenPage) -> HTMLResponse:
        return error_page(request, str(exc), 403)

    @app.exception_handler(BadQuery)
    async def bad_query(request: Request, exc: BadQuery) -> HTMLResponse:
        return error_page(request, str(exc), 422)


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    return page(request, "error.html", current_token(request), "", "Impossible", status=status, message=message)
