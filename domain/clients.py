"""Client: one per client id, of one provider (contract: client.registered), with what its
rules read across its facts: the Starter Pack it ordered, make-up time owed, direct debits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.calendar import paris_date
from domain.errors import AppointmentStateError, MakeUpNotOwed, PaymentError, StarterPackAlreadyOrdered, WrongProvider
from domain.ids import aggregate_id
from domain.timeline import Mark, after, judge, moment, place, rejudge, up_to


IDENTITY = ("address", "email", "siren")
GIVEN = "session.held"
DEBIT, BOUNCE = "payment.received", "payment.failed"


class Client(BillingAggregate):
    class ClientRegistered(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "client.registered"
        client_id: str
        provider: str
        name: str
        details: dict

    class StarterPackAttached(BillingAggregate.Event):
        recorded_by: ClassVar[str] = "starter_pack.ordered"
        pack_id: str

        def apply(self, client: Client) -> None:
            client.pack_id = self.pack_id
            client.pack_mark = self.mark()

    class SubscriptionAttached(BillingAggregate.Event):
        recorded_by: ClassVar[str] = "subscription.started"
        subscription_id: str

        def apply(self, client: Client) -> None:
            client.subscription_ids.append(self.subscription_id)

    class ContractChosen(BillingAggregate.Event):
        """An appointment that named no contract drew on this one (CGPS art. 3, 4)."""
        recorded_by: ClassVar[str] = "appointment.scheduled"
        appointment_id: str
        starts_at: datetime
        contract: str

        def apply(self, client: Client) -> None:
            place(client.chosen, self.mark((self.appointment_id, paris_date(self.starts_at), self.contract)))

    class MakeUpOwed(BillingAggregate.Event):
        recorded_by: ClassVar[str] = "session.held"
        session_id: str
        minutes: int

        def apply(self, client: Client) -> None:
            client.makeup_minutes += self.minutes
            place(client.makeup, self.mark(self.minutes))

    class MakeUpGiven(BillingAggregate.Event):
        recorded_by: ClassVar[str] = "session.held"
        session_id: str
        minutes: int

        def apply(self, client: Client) -> None:
            client.makeup_minutes -= self.minutes
            place(client.makeup, self.mark(-self.minutes))

    class DirectDebitReceived(BillingAggregate.Event):
        recorded_by: ClassVar[str] = DEBIT
        invoice: str
        amount: Decimal

        def apply(self, client: Client) -> None:
            place(client.debits, self.mark((self.invoice, self.amount)))

    class DirectDebitBounced(BillingAggregate.Event):
        recorded_by: ClassVar[str] = BOUNCE
        invoice: str
        amount: Decimal

        def apply(self, client: Client) -> None:
            place(client.debits, self.mark((self.invoice, self.amount)))

    class DetailsChanged(BillingAggregate.Event):
        """Name, address, email or SIREN as they stand from `at` on (documents issued from then carry them)."""
        recorded_by: ClassVar[str] = "client.details_changed"
        changes: dict

        def apply(self, client: Client) -> None:
            place(client.detail_changes, self.mark(self.changes))

    def __init__(self, client_id: str, provider: str, name: str, details: dict, at: datetime):
        self.client_id = client_id
        self.provider = provider
        self.name = name
        self.details = details
        self.registered_at = at
        self.pack_id: str | None = None
        self.pack_mark: Mark | None = None
        self.subscription_ids: list[str] = []
        self.makeup_minutes = 0
        self.makeup: list[Mark] = []  # minutes owed (+) and given (-), by business time
        self.debits: list[Mark] = []  # direct debits received and bounced, by business time
        self.chosen: list[Mark] = []  # appointments that named no contract, and the one they drew on
        self.detail_changes: list[Mark] = []  # name, address, email, SIREN changed, by business time

    @staticmethod
    def id_for(client_id: str) -> UUID:
        return aggregate_id("client", client_id)

    @classmethod
    def register(cls, client_id: str, provider: str, name: str, details: dict, stamp: Stamp) -> Client:
        return cls._create_at(cls.ClientRegistered, stamp, id=cls.id_for(client_id), client_id=client_id,
                              provider=provider, name=name, details=details)

    # --- who the documents name (INTERPRETATION.md, "Who issues and who receives") ----------

    def change_details(self, changes: dict, stamp: Stamp) -> None:
        if "siren" in changes:
            self.check_provider("btbconnect", "a SIREN (a business client's)")
        self.record(self.DetailsChanged, stamp, changes=changes)

    def identity_at(self, at: datetime) -> dict:
        """Name, address, email, SIREN as of `at` (business time): the registration, then every
        change dated up to it, in business-time order."""
        identity = {"name": self.name, **{k: self.details[k] for k in IDENTITY if self.details.get(k) is not None}}
        for change in up_to(self.detail_changes, at):
            identity.update(change.data)
        return identity

    def check_provider(self, provider: str, what: str) -> None:
        if self.provider != provider:
            raise WrongProvider(
                f"client {self.client_id!r} is a {self.provider} client; {what} is {provider}'s"
            )

    def attach_starter_pack(self, pack_id: str, stamp: Stamp) -> None:
        self.check_provider("btbconnect", "the Starter Pack")
        if self.pack_id is not None:
            # CGPS art. 3.2; whichever was recorded first stands, whatever its date.
            raise StarterPackAlreadyOrdered(
                f"client {self.client_id!r} already ordered Starter Pack {self.pack_id!r} "
                f"({self.pack_mark.describe() if self.pack_mark else 'recorded'}); one Starter Pack per "
                "client (CGPS art. 3.2): subscribe to a plan instead"
            )
        self.record(self.StarterPackAttached, stamp, pack_id=pack_id)

    def attach_subscription(self, subscription_id: str, stamp: Stamp) -> None:
        self.check_provider("btbconnect", "a subscription")
        self.record(self.SubscriptionAttached, stamp, subscription_id=subscription_id)

    # --- appointments that name no contract ---------------------------------------------

    def choose_contract(self, appointment_id: str, starts_at: datetime, contract: str, stamp: Stamp) -> None:
        self.record(self.ContractChosen, stamp, appointment_id=appointment_id, starts_at=starts_at, contract=contract)

    def check_choices(self, new: Mark, draws_on: Callable[[Mark], str | None]) -> None:
        """`new` must leave every appointment recorded after it with no contract named drawing on
        the contract it drew on: `draws_on` says which one it would draw on with `new` in place."""
        for chosen in after(self.chosen, new.at):
            rejudge(new, chosen, lambda: self._check_choice(chosen, draws_on(chosen)))

    def _check_choice(self, chosen: Mark, contract: str | None) -> None:
        appointment_id, day, recorded = chosen.data
        if contract != recorded:
            raise AppointmentStateError(
                f"appointment {appointment_id!r} of client {self.client_id!r} named no contract and drew on "
                f"{recorded!r}; with this fact it would draw on {contract or 'nothing'} for {day}"
            )

    # --- make-up time (CGV art. 6) --------------------------------------------------------

    def settle_makeup(self, session_id: str, owed: int, given: int, stamp: Stamp) -> None:
        """CGV art. 6: a late provider owes the minutes lost; make-up time given draws on the
        minutes owed as of the session, and must leave every later session's make-up owed."""
        if given:
            judge(self.makeup, stamp.mark(GIVEN, -given), self._check_makeup)
        if owed:
            self.record(self.MakeUpOwed, stamp, session_id=session_id, minutes=owed)
        if given:
            self.record(self.MakeUpGiven, stamp, session_id=session_id, minutes=given)

    def _check_makeup(self, mark: Mark, earlier: list[Mark]) -> None:
        balance = sum(m.data for m in earlier)
        if mark.data < 0 and balance + mark.data < 0:
            raise MakeUpNotOwed(
                f"client {self.client_id!r} is owed {balance} minutes of make-up time at "
                f"{moment(mark.at)}, not {-mark.data} (CGV art. 6)"
            )

    # --- direct debits ------------------------------------------------------------------

    def receive_direct_debit(self, invoice: str, amount: Decimal, stamp: Stamp) -> None:
        self.record(self.DirectDebitReceived, stamp, invoice=invoice, amount=amount)

    def bounce_direct_debit(self, invoice: str, amount: Decimal, stamp: Stamp) -> None:
        """A payment.failed names a direct debit received from this client for that invoice,
        of the same amount, before it in business time, that has not bounced already."""
        judge(self.debits, stamp.mark(BOUNCE, (invoice, amount)), self._check_bounce)
        self.record(self.DirectDebitBounced, stamp, invoice=invoice, amount=amount)

    def _check_bounce(self, mark: Mark, earlier: list[Mark]) -> None:
        if mark.kind != BOUNCE:
            return
        invoice, amount = mark.data
        same = [m for m in earlier if m.data == mark.data]
        received = sum(1 for m in same if m.kind == DEBIT)
        if received > sum(1 for m in same if m.kind == BOUNCE):
            return
        debits = [m for m in earlier if m.kind == DEBIT and m.data[0] == invoice]
        raise PaymentError(bounce_refusal(self.client_id, invoice, amount, mark, debits, received))


def bounce_refusal(client_id: str, invoice: str, amount: Decimal, mark: Mark, debits: list[Mark],
                   same_amount: int) -> str:
    what = f"a payment.failed of {amount:.2f} for invoice {invoice} at {moment(mark.at)}"
    if same_amount:
        return (f"{what} names no direct debit left to bounce: the {same_amount} direct debit(s) of "
                f"{amount:.2f} from client {client_id!r} for {invoice} before it bounced already")
    if debits:
        seen = ", ".join(f"{m.data[1]:.2f} ({m.describe()})" for m in debits)
        return (f"{what} names no direct debit of that amount: the direct debits received from client "
                f"{client_id!r} for {invoice} before it are {seen}; a failure is of the debit's amount")
    return (f"{what} names no direct debit: no payment.received with method direct_debit from client "
            f"{client_id!r} for invoice {invoice} is dated before it; record the direct debit first")
