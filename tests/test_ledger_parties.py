"""A ledger keeps one object per distinct party (application/ledger.py): the documents of a client,
and all of a provider's, repeat the same identities. Equal identities are shared; identities that
differ in any value, even only by its type, are not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from application.ledger import Ledger

SELLER = {"name": "BTBCONNECT", "siren": "123456789", "address": {"city": "Paris"}}


def shared(*buyers: dict) -> list[dict]:
    ledger = Ledger()
    docs = [SimpleNamespace(seller=dict(SELLER), buyer=buyer) for buyer in buyers]
    for doc in docs:
        ledger.share_parties(doc)
    assert len({id(doc.seller) for doc in docs}) == 1
    return [doc.buyer for doc in docs]


def test_equal_identities_become_one_object() -> None:
    first, second = shared({"client_id": "B1", "name": "Cabinet 1"}, {"client_id": "B1", "name": "Cabinet 1"})
    assert first is second


def test_identities_that_differ_by_a_value_or_its_type_stay_apart() -> None:
    by_type = shared({"since": date(2026, 4, 8)}, {"since": "2026-04-08"}, {"cap": Decimal("1.0")}, {"cap": "1.0"},
                     {"cap": Decimal("1.00")})
    assert len({id(b) for b in by_type}) == 5
    assert by_type[0]["since"] == date(2026, 4, 8) and by_type[3]["cap"] == "1.0"


KEYS = ["client_id", "name", "siren", "vat"]
VALUES = [None, "", "1.0", "2026-04-08", 1, -2, Decimal("1.0"), Decimal("1.00"), date(2026, 4, 8)]


@given(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3), st.sampled_from(KEYS),
       st.lists(st.sampled_from(VALUES), min_size=2, max_size=5))
def test_a_shared_identity_equals_the_one_it_replaces(base: dict, key: str, values: list) -> None:
    buyers = [{**base, key: value} for value in values]  # alike but for one value
    copies = [dict(b) for b in buyers]
    for before, after in zip(copies, shared(*buyers)):
        assert after == before and [type(v) for v in after.values()] == [type(v) for v in before.values()]
