"""The annual tax attestation as an issued document (CGV art. 8 bis 8.4; CGI art. 199 sexdecies;
C. trav. D7233-1): for one client and one year, each version issued keeps the amounts it stated
and both parties as of its issue date, so a reprint is identical; when later facts change the
amounts, a corrected version is issued, never the old one rewritten."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, NamedTuple
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.ids import aggregate_id

TITLE = "Attestation fiscale annuelle – services à la personne"
MENTION = ("Sommes versées ouvrant droit au crédit d'impôt pour l'emploi d'un salarié à domicile "
           "(article 199 sexdecies du CGI), déduction faite de l'avance immédiate versée par l'URSSAF.")


class Version(NamedTuple):
    number: int
    issued_on: date
    content: dict


def first_issue_day(year: int) -> date:
    """CGV art. 8 bis 8.4: issued in the following year, by 31 March: from its first day on."""
    return date(year + 1, 1, 1)


def attestation_content(year: int, amounts: dict[str, Any], seller: dict, client: dict) -> dict:
    """What one version states: the amounts (as text, so that two versions compare exactly), by
    whom they were paid, month by month, and both parties."""
    return {"title": TITLE, "year": year, "organisme": seller, "client": client, **amounts, "mention": MENTION}


def same_amounts(a: dict, b: dict) -> bool:
    keys = ("eligible_paid", "paid_by_client", "avance_immediate", "hours", "months")
    return all(a.get(k) == b.get(k) for k in keys)


class TaxAttestation(BillingAggregate):
    class AttestationOpened(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "billing advance"
        client_id: str
        year: int

    class AttestationIssued(BillingAggregate.Event):
        version: int
        issued_on: date
        content: dict

        def apply(self, attestation: TaxAttestation) -> None:
            attestation.versions.append(Version(self.version, self.issued_on, self.content))

    def __init__(self, client_id: str, year: int, at: datetime):
        self.client_id = client_id
        self.year = year
        self.versions: list[Version] = []

    @staticmethod
    def id_for(client_id: str, year: int) -> UUID:
        return aggregate_id("tax_attestation", f"{client_id}/{year}")

    @classmethod
    def open(cls, client_id: str, year: int, stamp: Stamp) -> TaxAttestation:
        return cls._create_at(cls.AttestationOpened, stamp, id=cls.id_for(client_id, year), client_id=client_id,
                              year=year)

    @property
    def last(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    def issue(self, content: dict, issued_on: date, stamp: Stamp) -> bool:
        """Issues a version unless the last one states the same amounts; True if it did."""
        if self.last is not None and same_amounts(self.last.content, content):
            return False
        self.record(self.AttestationIssued, stamp, version=len(self.versions) + 1, issued_on=issued_on,
                    content=content | ({"corrects": self.last.number} if self.last else {}))
        return True
