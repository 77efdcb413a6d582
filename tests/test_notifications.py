"""The fold's own log reader gives what the library's reader gives, page by page, with and
without a topic filter, on every backend."""

from __future__ import annotations

from datetime import date

from application.ledger import billing_topics
from projections.store_reads import select_rows
from tests.services import Engine
from tests.test_btb_scenario import history as btb_history
from tests.test_etincelle_scenario import history as etincelle_history


def pages(read, topics: tuple[str, ...], limit: int) -> list[tuple]:
    rows, after = [], 0
    while page := read(after, limit, topics):
        rows += [(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in page]
        after = page[-1].id
    return rows


def test_the_fold_reads_the_log_as_the_library_does(db_url: str) -> None:
    engine = Engine(db_url)
    try:
        engine.ingest(*btb_history(), *etincelle_history())
        engine.advance(date(2026, 12, 31))
        recorder = engine.app.recorder
        library = lambda after, limit, topics: recorder.select_notifications(  # noqa: E731
            after, limit, topics=topics, inclusive_of_start=False)
        ours = lambda after, limit, topics: select_rows(recorder, after, limit, topics)  # noqa: E731
        for topics, limit in (((), 7), (billing_topics(), 50), (billing_topics()[:3], 1000)):
            expected = pages(library, topics, limit)
            assert expected and pages(ours, topics, limit) == expected
        assert len(pages(ours, billing_topics(), 50)) < len(pages(ours, (), 50))
    finally:
        engine.close()
