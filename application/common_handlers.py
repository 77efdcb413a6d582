"""Facts of both providers: clients and payments (contract: "Both providers")."""

from __future__ import annotations

from typing import Any

from application import client_facts as c
from application import facts as f
from application.context import Context
from domain.clients import Client
from domain.calendar import paris_date
from domain.errors import AlreadyExists, InvalidFact, MinorClient, PaymentError
from domain.issuing import DocumentCancellation, IssuedDocument
from domain.records import Payment
from domain.starter_packs import StarterPack

REGISTER_HINT = "ingest its client.registered first"


def client_registered(fact: c.ClientRegistered, ctx: Context) -> list[Any]:
    ctx.require_new(Client, fact.client_id, "client")
    details = btb_details(fact) if fact.provider == "btbconnect" else etincelle_details(fact, ctx)
    contact = {"address": fact.address.as_dict() if fact.address else None, "email": fact.email}
    details |= {name: value for name, value in contact.items() if value is not None}
    return [Client.register(fact.client_id, fact.provider, fact.name, details, ctx.stamp)]


def client_details_changed(fact: c.ClientDetailsChanged, ctx: Context) -> list[Any]:
    client = ctx.named(Client, fact.client_id, "client", REGISTER_HINT)
    client.change_details(fact.changes(), ctx.stamp)
    return [client]


def btb_details(fact: c.ClientRegistered) -> dict:
    for name in ("adult", "invoicing", "birth_date"):
        if getattr(fact, name) is not None:
            raise InvalidFact(f"fact {fact.key!r}: field {name!r} is for etincelle clients only")
    return {"siren": fact.siren}


def etincelle_details(fact: c.ClientRegistered, ctx: Context) -> dict:
    if fact.siren is not None:
        raise InvalidFact(f"fact {fact.key!r}: field 'siren' is for btbconnect clients only")
    for name in ("adult", "invoicing"):
        if getattr(fact, name) is None:
            raise InvalidFact(f"fact {fact.key!r}: field {name!r} is required for etincelle clients")
    if not fact.adult:
        terms = ctx.catalog.in_force("etincelle", paris_date(fact.at))
        raise MinorClient(
            f"client {fact.client_id!r} is not an adult: L'Étincelle du Savoir contracts only "
            f"with clients of at least {terms.minimum_client_age} years "
            f"({terms.articles.client_age}); register the adult who pays"
        )
    return {"adult": fact.adult, "invoicing": fact.invoicing}


def payment_received(fact: f.PaymentReceived, ctx: Context) -> list[Any]:
    client = check_payment(fact.client_id, fact.invoice, ctx)
    payment = Payment.record_payment("received", fact.client_id, fact.amount, fact.method, fact.invoice, ctx.stamp)
    if fact.method != "direct_debit" or fact.invoice is None:
        return [payment]
    client.receive_direct_debit(fact.invoice, fact.amount, ctx.stamp)
    return [payment, client]


def payment_failed(fact: f.PaymentFailed, ctx: Context) -> list[Any]:
    client = check_payment(fact.client_id, fact.invoice, ctx)
    client.bounce_direct_debit(fact.invoice, fact.amount, ctx.stamp)
    return [Payment.record_payment("failed", fact.client_id, fact.amount, None, fact.invoice, ctx.stamp), client]


def check_payment(client_id: str, invoice: str | None, ctx: Context) -> Client:
    """The client must exist as of the payment; a named invoice, once issued, must be that
    client's. A payment may name an invoice not issued yet (facts can arrive before the
    document they settle)."""
    client = ctx.named(Client, client_id, "client", REGISTER_HINT)
    if invoice is None or not ctx.exists(IssuedDocument, invoice):
        return client
    document = ctx.get(IssuedDocument, invoice, "invoice", "")
    if document.client_id != client.client_id:
        raise PaymentError(
            f"invoice {invoice} is addressed to client {document.client_id!r}, not {client_id!r}"
        )
    return client


def invoice_cancelled(fact: f.InvoiceCancelled, ctx: Context) -> list[Any]:
    document = ctx.named(IssuedDocument, fact.invoice, "invoice", "name an issued invoice number")
    if ctx.exists(DocumentCancellation, fact.invoice):
        raise AlreadyExists(f"invoice {fact.invoice} was already cancelled")
    cancellation = DocumentCancellation.cancel(document, fact.reason, ctx.stamp)
    if not document.key.startswith("btb:pack:"):
        return [cancellation]
    # CGPS art. 3.3: a Starter Pack is refunded only before its campaign started.
    pack = ctx.get(StarterPack, document.key.removeprefix("btb:pack:"), "Starter Pack", "")
    pack.refund(fact.invoice, ctx.stamp)
    return [cancellation, pack]


HANDLERS = {
    "invoice.cancelled": invoice_cancelled,
    "client.registered": client_registered,
    "client.details_changed": client_details_changed,
    "payment.received": payment_received,
    "payment.failed": payment_failed,
}
