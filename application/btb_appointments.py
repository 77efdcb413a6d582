"""BTBCONNECT appointment facts: which contract an appointment draws on, and its life."""

from __future__ import annotations

from typing import Any

from application import facts as f
from application.btb_handlers import APPT_HINT, PACK_HINT, SUB_HINT, btb_client
from application.context import Context
from domain.appointments import Appointment
from domain.calendar import paris_date
from domain.clients import Client
from domain.errors import AppointmentStateError, InvalidFact, WrongProvider
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription
from domain.terms import BtbTerms


def appointment_scheduled(fact: f.AppointmentScheduled, ctx: Context) -> list[Any]:
    ctx.require_new(Appointment, fact.appointment_id, "appointment")
    if fact.subscription_id and fact.pack_id:
        raise InvalidFact(f"fact {fact.key!r}: name subscription_id or pack_id, not both")
    client = btb_client(fact.client_id, ctx, "an appointment")
    subscription_id, pack_id = fact.subscription_id, fact.pack_id
    if not subscription_id and not pack_id:
        subscription_id, pack_id = default_contract(client, fact, ctx)
    if subscription_id:
        contract = book_on_subscription(subscription_id, fact, ctx)
    else:
        contract = book_on_pack(pack_id, fact, ctx)
    appt = Appointment.schedule(fact.appointment_id, fact.client_id, fact.starts_at,
                                subscription_id, pack_id, ctx.stamp)
    return [contract, appt]


def default_contract(client: Client, fact: f.AppointmentScheduled, ctx: Context) -> tuple:
    """An appointment that names no contract draws on the subscription covering its date,
    else on the client's Starter Pack, as both stand at the appointment's `at`."""
    subs = (ctx.get(Subscription, sid, "subscription", SUB_HINT) for sid in client.subscription_ids)
    covering = [s for s in subs if s.origin.at <= fact.at
                and s.covers(paris_date(fact.starts_at), fact.at, ctx.btb_terms(s.terms))]
    if covering:
        return max(covering, key=lambda s: s.started_at).subscription_id, None
    if client.pack_id and client.pack_mark.at <= fact.at:
        return None, client.pack_id
    raise AppointmentStateError(
        f"client {client.client_id!r} has no subscription covering {paris_date(fact.starts_at)} (not "
        "started, ended, or suspended for breach) and no Starter Pack; name subscription_id or pack_id"
    )


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
