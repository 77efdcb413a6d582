"""The receivables page's books (issue 18) follow writes client by client: whatever receivables
are added and taken out, in any order, a book holds the same totals, count and clients owing, in
the same order, as a book made at once of the receivables left; and the page's first clients are
those of sorting all of them."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from infrastructure.http.console.receivable_books import TOTALS, Book, amounted, books_of, first_owing, summed

CENTS = st.integers(-5_000, 50_000).map(lambda c: str(Decimal(c) / 100))


@st.composite
def receivable(draw: st.DrawFn, client_id: str) -> dict:
    provider = "btbconnect" if client_id.startswith("B") else "etincelle"
    amounts = {k: draw(st.sampled_from(["0.00", "12.50"]) | CENTS) for k in (*TOTALS, "credit")}
    return {"client_id": client_id, "provider": provider} | amounts


CLIENTS = st.sampled_from([f"{p}{i:03}" for p in "BE" for i in range(8)])
WRITES = st.lists(CLIENTS.flatmap(lambda c: st.tuples(st.just(c), st.none() | receivable(c))), max_size=40)


def book_of_writes(writes: list) -> tuple[dict[str, Book], dict]:
    """Each write replaces its client's receivable (None: the client is gone), as the console does."""
    books: dict[str, Book] = {}
    kept: dict = {}
    for client_id, row in writes:
        if client_id in kept:
            books[kept[client_id][0]["provider"]].take_out(kept.pop(client_id))
        if row is not None:
            kept[client_id] = amounted(row)
            books.setdefault(row["provider"], Book()).add(kept[client_id])
    return books, kept


@given(writes=WRITES)
def test_a_book_followed_write_by_write_equals_one_made_at_once(writes: list) -> None:
    followed, kept = book_of_writes(writes)
    at_once = books_of(kept[c] for c in sorted(kept))
    for provider, book in at_once.items():
        assert (followed[provider].clients, followed[provider].totals) == (book.clients, book.totals)
        assert (followed[provider].owing, followed[provider].rows) == (book.owing, book.rows)
    assert all(followed[p].clients == 0 for p in followed.keys() - at_once.keys())
    every = [kept[c] for c in sorted(kept)]
    # the page: the clients owing something, most outstanding first, then by client id
    owing = sorted((e for e in every if e[1]["outstanding"] or e[1]["credit"] or e[1]["penalties"]),
                   key=lambda e: (-e[1]["outstanding"], e[0]["client_id"]))
    assert first_owing(list(followed.values()), 5) == [r for r, _ in owing[:5]]
    assert summed(list(followed.values())) == {k: sum((e[1][k] for e in every), Decimal(0)) for k in TOTALS}
