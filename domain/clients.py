"""Client: one per client id, of one provider (contract: client.registered)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import BillingAggregate
from domain.errors import MakeUpNotOwed, StarterPackAlreadyOrdered, WrongProvider
from domain.ids import aggregate_id


class Client(BillingAggregate):
    class ClientRegistered(BillingAggregate.Created):
        client_id: str
        provider: str
        name: str
        details: dict

    class StarterPackAttached(BillingAggregate.Event):
        pack_id: str

        def apply(self, client: Client) -> None:
            client.pack_id = self.pack_id

    class SubscriptionAttached(BillingAggregate.Event):
        subscription_id: str

        def apply(self, client: Client) -> None:
            client.subscription_ids.append(self.subscription_id)

    class MakeUpOwed(BillingAggregate.Event):
        session_id: str
        minutes: int

        def apply(self, client: Client) -> None:
            client.makeup_minutes += self.minutes

    class MakeUpGiven(BillingAggregate.Event):
        session_id: str
        minutes: int

        def apply(self, client: Client) -> None:
            client.makeup_minutes -= self.minutes

    def __init__(self, client_id: str, provider: str, name: str, details: dict, at: datetime):
        self.client_id = client_id
        self.provider = provider
        self.name = name
        self.details = details
        self.registered_at = at
        self.pack_id: str | None = None
        self.subscription_ids: list[str] = []
        self.makeup_minutes = 0

    @staticmethod
    def id_for(client_id: str) -> UUID:
        return aggregate_id("client", client_id)

    @classmethod
    def register(
        cls, client_id: str, provider: str, name: str, details: dict,
        at: datetime, recorded_at: datetime,
    ) -> Client:
        return cls._create(
            cls.ClientRegistered, id=cls.id_for(client_id), timestamp=recorded_at,
            client_id=client_id, provider=provider, name=name, details=details, at=at,
        )

    def check_provider(self, provider: str, what: str) -> None:
        if self.provider != provider:
            raise WrongProvider(
                f"client {self.client_id!r} is a {self.provider} client; {what} is {provider}'s"
            )

    def attach_starter_pack(self, pack_id: str, at: datetime, recorded_at: datetime) -> None:
        self.check_provider("btbconnect", "the Starter Pack")
        if self.pack_id is not None:
            # CGPS art. 3.2
            raise StarterPackAlreadyOrdered(
                f"client {self.client_id!r} already ordered Starter Pack {self.pack_id!r}; "
                "one Starter Pack per client (CGPS art. 3.2): subscribe to a plan instead"
            )
        self.record(self.StarterPackAttached, at, recorded_at, pack_id=pack_id)

    def attach_subscription(self, subscription_id: str, at: datetime, recorded_at: datetime) -> None:
        self.check_provider("btbconnect", "a subscription")
        self.record(self.SubscriptionAttached, at, recorded_at, subscription_id=subscription_id)

    def settle_makeup(
        self, session_id: str, owed: int, given: int, at: datetime, recorded_at: datetime,
    ) -> None:
        """CGV art. 6: a late provider owes the minutes lost; make-up time given draws on them."""
        if given > self.makeup_minutes:
            raise MakeUpNotOwed(
                f"client {self.client_id!r} is owed {self.makeup_minutes} minutes of make-up time, "
                f"not {given} (CGV art. 6)"
            )
        if owed:
            self.record(self.MakeUpOwed, at, recorded_at, session_id=session_id, minutes=owed)
        if given:
            self.record(self.MakeUpGiven, at, recorded_at, session_id=session_id, minutes=given)
