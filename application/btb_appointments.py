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
    subscription_id, pack_id = fact.subscription_id, fact.pack_id
    if not subscription_id and not pack_id:
        client = btb_client(fact.client_id, ctx, "an appointment")
        subscription_id, pack_id = default_contract(client, fact, ctx)
    changed: list[Any] = []
    if subscription_id:
        check_subscription_covers(subscription_id, fact, ctx)
    else:
        changed.append(book_on_pack(pack_id, fact, ctx))
    appt = Appointment.schedule(fact.appointment_id, fact.client_id, fact.starts_at,
                                subscription_id, pack_id, fact.at, ctx.recorded_at)
    return [*changed, appt]


def default_contract(client: Client, fact: f.AppointmentScheduled, ctx: Context) -> tuple:
    """An appointment that names no contract draws on the subscription covering its date,
    else on the client's Starter Pack."""
    covering = [s for s in (ctx.get(Subscription, sid, "subscription", SUB_HINT)
                            for sid in client.subscription_ids) if covers(s, fact, ctx)]
    if covering:
        return max(covering, key=lambda s: s.started_at).subscription_id, None
    if client.pack_id:
        return None, client.pack_id
    raise AppointmentStateError(
        f"client {client.client_id!r} has no subscription covering {paris_date(fact.starts_at)} (not "
        "started, ended, or suspended for breach) and no Starter Pack; name subscription_id or pack_id"
    )


def covers(sub: Subscription, fact: f.AppointmentScheduled, ctx: Context) -> bool:
    """Running on the appointment's date, and not suspended for breach (CGPS art. 9)."""
    ends_on = sub.ends_on(ctx.btb_terms(sub.terms))
    day = paris_date(fact.starts_at)
    return sub.start_date <= day and (ends_on is None or day < ends_on) and not sub.suspended_on(day)


def check_subscription_covers(subscription_id: str, fact: f.AppointmentScheduled, ctx: Context) -> None:
    sub = ctx.get(Subscription, subscription_id, "subscription", SUB_HINT)
    if sub.client_id != fact.client_id:
        raise WrongProvider(f"subscription {subscription_id!r} belongs to client {sub.client_id!r}")
    if not covers(sub, fact, ctx):
        raise AppointmentStateError(
            f"subscription {subscription_id!r} does not cover {paris_date(fact.starts_at)} "
            f"(it runs from {sub.start_date}, ends {sub.ends_on(ctx.btb_terms(sub.terms)) or 'open'})"
        )


def book_on_pack(pack_id: str, fact: f.AppointmentScheduled, ctx: Context) -> StarterPack:
    pack = ctx.get(StarterPack, pack_id, "Starter Pack", PACK_HINT)
    if pack.client_id != fact.client_id:
        raise WrongProvider(f"Starter Pack {pack_id!r} belongs to client {pack.client_id!r}")
    terms = ctx.btb_terms(pack.terms)
    validated = sum(1 for appt in pack_appointments(pack, ctx) if is_validated_by(appt, fact, terms))
    pack.book(fact.appointment_id, validated, fact.at, ctx.recorded_at, terms)
    return pack


def pack_appointments(pack: StarterPack, ctx: Context) -> list[Appointment]:
    return [ctx.get(Appointment, a, "appointment", APPT_HINT) for a in pack.appointment_ids]


def is_validated_by(appt: Appointment, fact: f.AppointmentScheduled, terms: BtbTerms) -> bool:
    validated_at = appt.validated_at(terms)
    return validated_at is not None and validated_at <= fact.at


def appointment(fact: Any, ctx: Context) -> Appointment:
    return ctx.get(Appointment, fact.appointment_id, "appointment", APPT_HINT)


def appointment_terms(appt: Appointment, ctx: Context) -> BtbTerms:
    if appt.subscription_id:
        return ctx.btb_terms(ctx.get(Subscription, appt.subscription_id, "subscription", SUB_HINT).terms)
    return ctx.btb_terms(ctx.get(StarterPack, appt.pack_id, "Starter Pack", PACK_HINT).terms)


def appointment_honoured(fact: f.AppointmentHonoured, ctx: Context) -> list[Any]:
    appt = appointment(fact, ctx)
    appt.honour(fact.at, ctx.recorded_at)
    return [appt]


def anomaly_declared(fact: f.AnomalyDeclared, ctx: Context) -> list[Any]:
    appt = appointment(fact, ctx)
    appt.declare_anomaly(fact.reason, fact.at, ctx.recorded_at, appointment_terms(appt, ctx))
    return [appt]


def appointment_cancelled(fact: f.AppointmentCancelled, ctx: Context) -> list[Any]:
    appt = appointment(fact, ctx)
    appt.cancel(fact.at, ctx.recorded_at)
    return [appt]


HANDLERS = {
    "appointment.scheduled": appointment_scheduled,
    "appointment.honoured": appointment_honoured,
    "appointment.anomaly_declared": anomaly_declared,
    "appointment.cancelled": appointment_cancelled,
}
