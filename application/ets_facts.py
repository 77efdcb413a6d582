"""L'Étincelle du Savoir facts (shared/contract/CONTRACT.md), validated by pydantic."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from application.facts import Amount, Fact, Id, Moment, Text, register_fact_types

Minutes = Annotated[int, Field(ge=0, le=24 * 60)]


class SessionBooked(Fact):
    type: Literal["session.booked"]
    session_id: Id
    client_id: Id
    starts_at: Moment
    duration_minutes: Annotated[int, Field(ge=15, le=8 * 60)]
    place: Literal["home", "remote", "elsewhere"]
    level: Literal["college", "lycee", "superieur"]
    hourly_rate: Amount


class SessionConfirmed(Fact):
    type: Literal["session.confirmed"]
    session_id: Id
    # CGV art. 3: the rate in force at confirmation; by default the rate of the booking.
    hourly_rate: Amount | None = None
    # CGV art. 1, 3: the version in force at confirmation governs; history older than every
    # known version names its own.
    terms: Id | None = None


class SessionCancelled(Fact):
    type: Literal["session.cancelled"]
    session_id: Id
    by: Literal["client", "provider"]
    force_majeure: bool = False
    proof: bool = False


class SessionHeld(Fact):
    type: Literal["session.held"]
    session_id: Id
    student_late_minutes: Minutes = 0
    provider_late_minutes: Minutes = 0
    parking_fee: Amount | None = None
    # Make-up time given in this session for minutes a late provider owed (CGV art. 6).
    makeup_minutes: Minutes = 0


class SessionStudentAbsent(Fact):
    type: Literal["session.student_absent"]
    session_id: Id


class UrssafClientRegistered(Fact):
    type: Literal["urssaf.client_registered"]
    client_id: Id
    birth_name: Text
    usage_name: Text | None = None
    birth_date: date
    birth_place: Text
    address: Text
    email: Text
    iban: Text
    # For URSSAF's API (POST /particulier): checked with the Swagger's patterns by the registration.
    civility: Text | None = None
    first_names: Text | None = None
    birth_country_code: Text | None = None
    birth_department: Text | None = None
    birth_commune_code: Text | None = None
    mobile_phone: Text | None = None
    postal_address: dict[str, Text] | None = None
    bic: Text | None = None
    account_holder: Text | None = None


class UrssafAccountActivated(Fact):
    type: Literal["urssaf.account_activated"]
    client_id: Id


class UrssafClientRenounced(Fact):
    type: Literal["urssaf.client_renounced"]
    client_id: Id


class UrssafRequestValidated(Fact):
    type: Literal["urssaf.request_validated"]
    session_id: Id


class UrssafRequestContested(Fact):
    type: Literal["urssaf.request_contested"]
    session_id: Id


class UrssafDebitFailed(Fact):
    type: Literal["urssaf.debit_failed"]
    session_id: Id


class UrssafAccountUnblocked(Fact):
    type: Literal["urssaf.account_unblocked"]
    client_id: Id


register_fact_types(
    SessionBooked, SessionConfirmed, SessionCancelled, SessionHeld, SessionStudentAbsent,
    UrssafClientRegistered, UrssafAccountActivated, UrssafClientRenounced, UrssafRequestValidated, UrssafRequestContested,
    UrssafDebitFailed, UrssafAccountUnblocked,
)

PERSONAL_DATA_FACTS = {"urssaf.client_registered"}
