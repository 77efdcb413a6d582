"""Which BTBCONNECT contract an appointment that names none draws on, as its contracts stand at
the appointment's `at`; and the facts that would change it once recorded (CGPS art. 3, 4, 9)."""

from __future__ import annotations

from datetime import date, datetime

from application import facts as f
from application.context import Context
from domain.calendar import paris_date
from domain.clients import Client
from domain.errors import AppointmentStateError
from domain.subscriptions import Subscription
from domain.timeline import Mark

CLIENT_HINT = "ingest its client.registered first"
SUB_HINT = "ingest its subscription.started first"
PACK_HINT = "ingest its starter_pack.ordered first"
APPT_HINT = "ingest its appointment.scheduled first"


def default_contract(client: Client, fact: f.AppointmentScheduled, ctx: Context) -> tuple:
    """An appointment that names no contract draws on the subscription covering its date,
    else on the client's Starter Pack, as both stand at the appointment's `at`."""
    drawn = drawn_on(client, client_subscriptions(client, ctx), paris_date(fact.starts_at), fact.at, ctx)
    if drawn is None:
        raise AppointmentStateError(
            f"client {client.client_id!r} has no subscription covering {paris_date(fact.starts_at)} (not "
            "started, ended, or suspended for breach) and no Starter Pack; name subscription_id or pack_id"
        )
    return drawn


def client_subscriptions(client: Client, ctx: Context) -> list[Subscription]:
    return [ctx.get(Subscription, sid, "subscription", SUB_HINT) for sid in client.subscription_ids]


def drawn_on(client: Client, subs: list[Subscription], day: date, at: datetime, ctx: Context,
             extra: dict[str, Mark] | None = None) -> tuple | None:
    """(subscription_id, None), (None, pack_id) or None; `extra`: a fact per subscription
    judged as if it were recorded."""
    covering = [s for s in subs if s.origin.at <= at
                and s.covers(day, at, ctx.btb_terms(s.terms), (extra or {}).get(s.subscription_id))]
    if covering:
        return max(covering, key=lambda s: s.started_at).subscription_id, None
    if client.pack_id and client.pack_mark.at <= at:
        return None, client.pack_id
    return None


def check_default_choices(client: Client, subs: list[Subscription], ctx: Context,
                          extra: dict[str, Mark] | None = None) -> None:
    """A fact that would change the contract of an appointment recorded after it with none named
    (a subscription started, or a breach remedied, dated before it) is refused naming it."""
    def draws_on(chosen: Mark) -> str | None:
        drawn = drawn_on(client, subs, chosen.data[1], chosen.at, ctx, extra)
        return drawn and (drawn[0] or drawn[1])
    client.check_choices(ctx.stamp.mark(ctx.kind), draws_on)


