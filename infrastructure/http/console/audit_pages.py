"""Auditors' pages: the history replayed under a chosen terms version (shipped, or a TOML file
uploaded) with its differences line by line, and `billing verify`'s findings."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from domain.errors import BillingError
from infrastructure.cli.wiring import log_key
from infrastructure.http.console.rendering import known_at_of, page
from infrastructure.http.console.session import PATH, checked_form, needing
from infrastructure.http.tokens import ApiToken
from infrastructure.terms_files import load_version
from application.replay import replay as replay_history, replay_by_group
from application.verify_service import verify_store

router = APIRouter(prefix=PATH, include_in_schema=False)
auditor = needing("replay")


def versions(s: Any, token: ApiToken) -> list[str]:
    return [t.reference for t in s.catalog.all() if t.provider in token.providers]


@router.get("/replay")
async def replay_form(request: Request, token: ApiToken = Depends(auditor)) -> Response:
    return page(request, "replay.html", token, "replay", "Rejouer l'historique",
                versions=versions(request.app.state.services, token), chosen=None, report=None)


@router.post("/replay")
async def replay(request: Request, token: ApiToken = Depends(auditor), csrf: str = Form(""), terms: str = Form(""),
                 file: UploadFile | None = File(None), known_at: str = Form(""), client: str = Form("")) -> Response:
    checked_form(request, csrf)
    s, moment = request.app.state.services, known_at_of(known_at)
    upload = await file.read() if file is not None and file.filename else None
    try:
        report = await run_in_threadpool(replayed, s, token, terms, upload, moment, client.strip() or None)
        error = None
    except BillingError as exc:
        report, error = None, str(exc)
    changed = [r for r in report["lines"] if r["difference"] != "0.00"] if report else []
    return page(request, "replay.html", token, "replay", "Rejouer l'historique", status=422 if error else 200,
                known_at=moment, versions=versions(s, token), chosen=terms, report=report, changed=changed,
                error=error, client=client)


def replayed(s: Any, token: ApiToken, terms: str, upload: bytes | None, known_at: datetime | None,
             client: str | None = None) -> dict[str, Any]:
    """The replay report under the shipped version `terms`, or under the uploaded file, of every
    client or of one (as `billing replay --client`: that client's events only); as known at a
    recorded time, the history of what was recorded by then (as `billing replay --known-at`)."""
    if upload is None:
        catalog, version = load_version(terms)
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "auditor.toml"
            path.write_bytes(upload)
            catalog, version = load_version(str(path))
    if version.provider not in token.providers:
        raise BillingError(f"les conditions {version.reference} sont celles de {version.provider}, hors du périmètre")
    if known_at is not None:
        return replay_history(s.ledger(client, known_at), catalog, version, client_id=client).as_dict()
    return replay_by_group(s.ledgers(client), catalog, version, s.documents_horizon(), client_id=client).as_dict()


@router.get("/verify")
async def verify(request: Request, token: ApiToken = Depends(auditor)) -> Response:
    s = request.app.state.services
    findings, anchors = await run_in_threadpool(verify_store, s.app, s.catalog, log_key(), [], s.client_events)
    return page(request, "verify.html", token, "verify", "Vérifier le journal et les documents",
                findings=[f.as_dict() for f in findings], anchor=anchors[0].text())
