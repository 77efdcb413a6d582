"""Several persisted views follow the log in one pass (each page read and decoded once): the
result equals a per-view rebuild, whatever the views' positions and the page size, also with
other followers running at the same time, and through `billing projections rebuild`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from infrastructure.store import open_app
from projections.persisted import Follower, view_mapper
from infrastructure.view_sql import SqlSession
from projections.views import VIEWS
from tests.billing_cli import billing_json
from tests.histories import ORIGIN, facts_for, moment
from tests.services import Engine
from tests.test_etincelle_scenario import history as etincelle_history
from tests.test_persisted_projections import snapshot

SUBS = [{"plan": "GROW", "start": 3, "prepaid": False, "cancel_after": 150, "option_after": 20,
         "appointments": [(5, "honoured"), (40, "contested"), (41, "honoured"), (90, "cancelled")]},
        {"plan": "START", "start": 30, "prepaid": True, "cancel_after": None, "option_after": None,
         "appointments": [(2, "honoured"), (60, "scheduled")]}]
FACTS = facts_for(SUBS, pack=True) + etincelle_history()


def recorded(url: str, upto: int = len(FACTS), days: int = 420) -> Engine:
    engine = Engine(url)
    engine.ingest(*FACTS[:upto])
    engine.advance(ORIGIN + timedelta(days=days))
    return engine


@contextmanager
def followed(url: str, upto: int = len(FACTS), days: int = 420) -> Iterator[tuple[Engine, Follower, SqlSession]]:
    """A recorded history and a follower of its views, both closed afterwards."""
    engine = recorded(url, upto, days)
    sql = SqlSession(url)
    try:
        yield engine, Follower(engine.app, sql), sql
    finally:
        sql.close()
        engine.close()


def test_single_pass_rebuild_equals_per_view_rebuild(db_url: str) -> None:
    with followed(db_url) as (engine, follower, sql):
        counts = {name: follower.rebuild(name) for name in follower.views}
        per_view = snapshot(sql)
        assert all(per_view.values()) and counts["receivables"] > counts["invoices"] > 0
        for page in (7, 1000, 5000):
            assert follower.rebuild_all(page=page) == counts
            assert snapshot(sql) == per_view
        assert follower.rebuild_all(["attestations", "invoices"], page=3) == {
            "attestations": counts["attestations"], "invoices": counts["invoices"]}
        assert snapshot(sql) == per_view
        assert all(s.lag == 0 for s in follower.status())


def test_views_at_different_positions_catch_up_together(db_url: str) -> None:
    with followed(db_url, upto=len(FACTS) // 2, days=120) as (engine, follower, sql):
        follower.catch_up("invoices")
        engine.ingest(*FACTS[len(FACTS) // 2:])
        engine.advance(ORIGIN + timedelta(days=420))
        follower.catch_up("attestations")
        assert len({s.position for s in follower.status()}) == 3
        follower.catch_up_all(page=5)
        together = snapshot(sql)
        follower.rebuild_all()
        assert snapshot(sql) == together
        assert all(s.lag == 0 for s in follower.status())


def test_concurrent_followers_apply_each_event_once(db_url: str) -> None:
    engine = recorded(db_url)
    Follower(engine.app, SqlSession(db_url)).sql.close()  # the tables, before the followers race
    engine.close()

    def follow(names: list[str] | None, page: int) -> None:
        app, sql = open_app(db_url), SqlSession(db_url)
        try:
            Follower(app, sql).catch_up_all(names, page=page)
        finally:
            sql.close()
            app.close()

    threads = [threading.Thread(target=follow, args=args) for args in
               [(None, 3), (["receivables"], 2), (["invoices", "attestations"], 4), (None, 11)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    app, sql = open_app(db_url), SqlSession(db_url)
    try:
        follower, concurrent = Follower(app, sql), snapshot(sql)
        assert all(concurrent.values()) and all(s.lag == 0 for s in follower.status())
        follower.rebuild_all()
        assert snapshot(sql) == concurrent
    finally:
        sql.close()
        app.close()


def test_cli_rebuilds_every_view_in_one_pass(db_url: str) -> None:
    with followed(db_url) as (engine, follower, sql):
        expected = {name: follower.rebuild(name) for name in follower.views}
        per_view = snapshot(sql)
        assert billing_json("projections", "rebuild", db=db_url) == expected
        assert snapshot(sql) == per_view
        assert billing_json("projections", "rebuild", "receivables", db=db_url) == {
            "receivables": expected["receivables"]}
        assert all(row["lag"] == 0 for row in billing_json("projections", "status", db=db_url))


def as_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return value


def test_views_read_the_events_with_their_decimals_as_text(db_url: str) -> None:
    engine = recorded(db_url)
    try:
        first = engine.invoices()[0]["number"]  # and a cancellation, which the streams view follows
        cancel = {"key": "cancel-first", "type": "invoice.cancelled", "at": moment(ORIGIN + timedelta(days=421)),
                  "invoice": first, "reason": "émise par erreur"}
        assert engine.ingest(cancel).refused == []
        topics = sorted({topic for view in VIEWS.values() if view.decoded for topic in view.topics})
        notifications = engine.app.recorder.select_notifications(0, 100_000, topics=topics)
        assert {n.topic for n in notifications} == set(topics)
        mapper = view_mapper(engine.app)
        for n in notifications:
            event, reference = mapper.to_domain_event(n), engine.app.mapper.to_domain_event(n)
            assert type(event) is type(reference) and event.__dict__ == as_text(reference.__dict__)
    finally:
        engine.close()
