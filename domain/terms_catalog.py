"""Which terms version governs a contract (INTERPRETATION.md, shared rules)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.errors import TermsError
from domain.terms import BtbTerms, EtincelleTerms

AnyTerms = BtbTerms | EtincelleTerms


class TermsCatalog:
    def __init__(self, versions: Iterable[AnyTerms]):
        self._by_ref: dict[str, AnyTerms] = {}
        for terms in versions:
            if terms.reference in self._by_ref:
                raise TermsError(f"terms version {terms.reference!r} is defined twice")
            self._by_ref[terms.reference] = terms

    def references(self) -> list[str]:
        return sorted(self._by_ref)

    def all(self) -> list[AnyTerms]:
        return [self._by_ref[ref] for ref in self.references()]

    def get(self, reference: str) -> AnyTerms:
        try:
            return self._by_ref[reference]
        except KeyError:
            known = ", ".join(self.references()) or "none"
            raise TermsError(f"unknown terms version {reference!r} (known: {known})") from None

    def get_for(self, provider: str, reference: str) -> AnyTerms:
        terms = self.get(reference)
        if terms.provider != provider:
            raise TermsError(f"terms version {reference!r} is {terms.provider}'s, not {provider}'s")
        return terms

    def in_force(self, provider: str, day: date) -> AnyTerms:
        """The version in force on that day: the latest one effective on or before it."""
        candidates = [
            t for t in self._by_ref.values() if t.provider == provider and t.effective_from <= day
        ]
        if not candidates:
            raise TermsError(
                f"no {provider} terms version is in force on {day}; name one with 'terms'"
            )
        return max(candidates, key=lambda t: (t.effective_from, t.reference))
