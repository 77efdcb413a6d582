"""BTBCONNECT appointment facts: which contract an appointment draws on, and its life."""

from __future__ import annotations

from typing import Any

from application import facts as f
from application.btb_contracts import APPT_HINT, PACK_HINT, SUB_HINT, default_contract
from application.btb_handlers import btb_client
from application.context import Context
from domain.appointments import Appointment
from domain.errors import InvalidFact, WrongProvider
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription
from domain.terms import BtbTerms


def appointment_scheduled(fact: f.AppointmentScheduled, ctx: Context) -> list[Any]:
    ctx.require_new(Appointment, fact.appointment_id, "appointment")
    if fact.subscription_id and fact.pack_id:
        raise InvalidFact(f"fact {fact.key!r}: name subscription_id or pack_id, not both")
    if fact.subscription_id or fact.pack_id:
        # A named contract is the client's, and dated after its registration (its own check).
        return [book(fact.subscription_id, fact.pack_id, fact, ctx), new_appointment(fact, fact.subscription_id,
                                                                                    fact.pack_id, ctx)]
    client = btb_client(fact.client_id, ctx, "an appointment")
    subscription_id, pack_id = default_contract(client, fact, ctx)
    contract = book(subscription_id, pack_id, fact, ctx)
    client.choose_contract(fact.appointment_id, fact.starts_at, subscription_id or pack_id, ctx.stamp)
    return [contract, client, new_appointment(fact, subscription_id, pack_id, ctx)]


def book(subscription_id: str | None, pack_id: str | None, fact: f.AppointmentScheduled, ctx: Context) -> Any:
    if subscription_id:
        return book_on_subscription(subscription_id, fact, ctx)
    return book_on_pack(pack_id, fact, ctx)


def new_appointment(fact: f.AppointmentScheduled, subscription_id: str | None, pack_id: str | None,
                    ctx: Context) -> Appointment:
    return Appointment.schedule(fact.appointment_id, fact.client_id, fact.starts_at, subscription_id, pack_id,
                                ctx.stamp)


def book_on_subscription(subscription_id: str, fact: f.AppointmentScheduled, ctx: Context) -> Subscription:
    sub = ctx.named(Subscription, subscription_id, "subscription", SUB_HINT)
    if sub.client_id != fact.client_id:
        raise WrongProvider(f"subscription {subscription_id!r} belongs to client {sub.client_id!r}")
    sub.book(fact.appointment_id, fact.starts_at, ctx.stamp, ctx.btb_terms(sub.terms))
    return sub


def book_on_pack(pack_id: str, fact: f.AppointmentScheduled, ctx: Context) -> StarterPack:
    pack = ctx.named(StarterPack, pack_id, "Starter Pack", PACK_HINT)
    if pack.client_id != fact.client_id:
        raise WrongProvider(f"Starter Pack {pack_id!r} belongs to client {pack.client_id!r}")
    terms = ctx.btb_terms(pack.terms)
    pack.book(fact.appointment_id, validated_times(pack_appointments(pack, ctx), terms), ctx.stamp, terms)
    return pack


def pack_appointments(pack: StarterPack, ctx: Context) -> list[Appointment]:
    return [ctx.get(Appointment, a, "appointment", APPT_HINT) for a in pack.appointment_ids]


def validated_times(appointments: list[Appointment], terms: BtbTerms) -> list:
    return [at for at in (appt.validated_at(terms) for appt in appointments) if at is not None]


def appointment(fact: Any, ctx: Context) -> Appointment:
    return ctx.named(Appointment, fact.appointment_id, "appointment", APPT_HINT)


def appointment_terms(appt: Appointment, ctx: Context) -> BtbTerms:
    if appt.subscription_id:
        return ctx.btb_terms(ctx.get(Subscription, appt.subscription_id, "subscription", SUB_HINT).terms)
    return ctx.btb_terms(ctx.get(StarterPack, appt.pack_id, "Starter Pack", PACK_HINT).terms)


def appointment_honoured(fact: f.AppointmentHonoured, ctx: Context) -> list[Any]:
    appt = appointment(fact, ctx)
    appt.check_honour(ctx.stamp)
    if appt.pack_id:
        check_pack_bookings(appt, ctx)
    appt.honour(ctx.stamp)
    return [appt]


def check_pack_bookings(appt: Appointment, ctx: Context) -> None:
    """CGPS art. 3: validating one more appointment of a pack must leave every booking recorded
    on it after that moment with fewer than its appointments validated."""
    pack = ctx.get(StarterPack, appt.pack_id, "Starter Pack", PACK_HINT)
    terms = ctx.btb_terms(pack.terms)
    validated = appt.validated_if_honoured(ctx.stamp.at, terms)
    if validated is None:
        return
    others = [a for a in pack_appointments(pack, ctx) if a.appointment_id != appt.appointment_id]
    pack.check_validation(validated_times(others, terms), validated, ctx.stamp.mark(ctx.kind), terms)


def anomaly_declared(fact: f.AnomalyDeclared, ctx: Context) -> list[Any]:
    appt = appointment(fact, ctx)
    appt.declare_anomaly(fact.reason, ctx.stamp, appointment_terms(appt, ctx))
    return [appt]


def appointment_cancelled(fact: f.AppointmentCancelled, ctx: Context) -> list[Any]:
    appt = appointment(fact, ctx)
    appt.cancel(ctx.stamp)
    return [appt]


HANDLERS = {
    "appointment.scheduled": appointment_scheduled,
    "appointment.honoured": appointment_honoured,
    "appointment.anomaly_declared": anomaly_declared,
    "appointment.cancelled": appointment_cancelled,
}
