"""BTBCONNECT facts: load → one call → save (contract: "BTBCONNECT")."""

from __future__ import annotations

from typing import Any

from application import facts as f
from application.btb_contracts import CLIENT_HINT, PACK_HINT, SUB_HINT, check_default_choices, client_subscriptions
from application.context import Context
from domain.calendar import paris_date
from domain.clients import Client
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription
from domain.terms import BtbTerms



def btb_client(client_id: str, ctx: Context, what: str) -> Client:
    client = ctx.named(Client, client_id, "client", CLIENT_HINT)
    client.check_provider("btbconnect", what)
    return client


def concluded_under(reference: str | None, ctx: Context) -> BtbTerms:
    """INTERPRETATION.md: the version named by the fact, else the one in force on its date;
    a contract older than every known version must name its own."""
    if reference:
        return ctx.btb_terms(reference)
    return ctx.catalog.in_force("btbconnect", paris_date(ctx.stamp.at))


def starter_pack_ordered(fact: f.StarterPackOrdered, ctx: Context) -> list[Any]:
    client = btb_client(fact.client_id, ctx, "the Starter Pack")
    ctx.require_new(StarterPack, fact.pack_id, "Starter Pack")
    terms = concluded_under(fact.terms, ctx)
    client.attach_starter_pack(fact.pack_id, ctx.stamp)
    return [client, StarterPack.order(fact.pack_id, fact.client_id, terms.reference, ctx.stamp)]


def campaign_started(fact: f.StarterPackCampaignStarted, ctx: Context) -> list[Any]:
    pack = ctx.named(StarterPack, fact.pack_id, "Starter Pack", PACK_HINT)
    pack.start_campaign(ctx.stamp)
    return [pack]


def subscription_started(fact: f.SubscriptionStarted, ctx: Context) -> list[Any]:
    client = btb_client(fact.client_id, ctx, "a subscription")
    ctx.require_new(Subscription, fact.subscription_id, "subscription")
    terms = concluded_under(fact.terms, ctx)
    sub = Subscription.start(fact.subscription_id, fact.client_id, fact.plan, fact.monthly_fee,
                             fact.prepaid_quarterly, terms.reference, ctx.stamp)
    if client.chosen:
        check_default_choices(client, [*client_subscriptions(client, ctx), sub], ctx)
    client.attach_subscription(fact.subscription_id, ctx.stamp)
    return [client, sub]


def subscription(fact: Any, ctx: Context) -> Subscription:
    return ctx.named(Subscription, fact.subscription_id, "subscription", SUB_HINT)


def option_activated(fact: f.OptionActivated, ctx: Context) -> list[Any]:
    sub = subscription(fact, ctx)
    sub.activate_option(fact.option, fact.monthly_fee_ht, ctx.stamp, ctx.btb_terms(sub.terms))
    return [sub]


def option_cancellation_notified(fact: f.OptionCancellationNotified, ctx: Context) -> list[Any]:
    sub = subscription(fact, ctx)
    sub.notify_option_cancellation(fact.option, ctx.stamp, ctx.btb_terms(sub.terms))
    return [sub]


def cancellation_notified(fact: f.CancellationNotified, ctx: Context) -> list[Any]:
    sub = subscription(fact, ctx)
    sub.notify_cancellation(ctx.stamp, ctx.btb_terms(sub.terms))
    return [sub]


def formal_notice_sent(fact: f.FormalNoticeSent, ctx: Context) -> list[Any]:
    sub = subscription(fact, ctx)
    sub.send_formal_notice(fact.reason, ctx.stamp, ctx.btb_terms(sub.terms))
    return [sub]


def breach_remedied(fact: f.BreachRemedied, ctx: Context) -> list[Any]:
    sub = subscription(fact, ctx)
    client = ctx.get(Client, sub.client_id, "client", CLIENT_HINT)
    if client.chosen:  # the subscription covers again: appointments that named no contract may draw on it
        check_default_choices(client, client_subscriptions(client, ctx), ctx,
                              {sub.subscription_id: ctx.stamp.mark(ctx.kind)})
    sub.remedy_breach(ctx.stamp, ctx.btb_terms(sub.terms))
    return [sub]


def suspended_for_breach(fact: f.SuspendedForBreach, ctx: Context) -> list[Any]:
    sub = subscription(fact, ctx)
    sub.suspend_for_breach(ctx.stamp, ctx.btb_terms(sub.terms))
    return [sub]


def terminated_for_breach(fact: f.TerminatedForBreach, ctx: Context) -> list[Any]:
    sub = subscription(fact, ctx)
    sub.terminate_for_breach(ctx.stamp, ctx.btb_terms(sub.terms))
    return [sub]


HANDLERS = {
    "starter_pack.ordered": starter_pack_ordered,
    "starter_pack.campaign_started": campaign_started,
    "subscription.started": subscription_started,
    "subscription.option_activated": option_activated,
    "subscription.option_cancellation_notified": option_cancellation_notified,
    "subscription.cancellation_notified": cancellation_notified,
    "subscription.formal_notice_sent": formal_notice_sent,
    "subscription.breach_remedied": breach_remedied,
    "subscription.suspended_for_breach": suspended_for_breach,
    "subscription.terminated_for_breach": terminated_for_breach,
}
