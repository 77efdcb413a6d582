"""The console's pages rendered from their templates, with French amounts and dates, and what
every page needs: the token, the section, the CSRF token of its forms, "as known at"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from domain.calendar import PARIS
from infrastructure.documents.html import day, euros
from infrastructure.http.tokens import ApiToken

environment = Environment(loader=PackageLoader("infrastructure.http.console", "templates"),
                          autoescape=select_autoescape(["html"]))
environment.filters.update(euros=lambda v: euros(v) if v not in (None, "") else "",
                           day=lambda v: day(str(v)[:10]) if v else "")
templates = Jinja2Templates(env=environment)


class BadQuery(ValueError):
    """A search field that cannot be read: the page says which, and how to write it."""


def page(request: Request, template: str, token: ApiToken, section: str, title: str, status: int = 200,
         known_at: datetime | None = None, **context: Any) -> HTMLResponse:
    keep = "?" + urlencode({"known_at": local_text(known_at)}) if known_at else ""
    return templates.TemplateResponse(request, template, {
        "token": token, "section": section, "title": title, "csrf": request.state.csrf, "keep": keep,
        "known_at": known_at.isoformat() if known_at else None, "known_at_field": local_text(known_at),
        **context}, status_code=status)


def local_text(moment: datetime | None) -> str:
    """As a datetime-local field shows it: Paris time, without offset."""
    return moment.astimezone(PARIS).replace(tzinfo=None).isoformat(timespec="seconds") if moment else ""


def known_at_of(text: str | None) -> datetime | None:
    """A datetime-local field's value (Paris time) or an ISO timestamp with offset."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"« tel que connu le » : {text!r} n'est pas un horodatage (2026-05-31T18:00:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def day_of(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"{name} : {text!r} n'est pas une date (AAAA-MM-JJ)") from None
