"""Persisted views follow the event log exactly once, on both backends: maintained incrementally
in random steps they equal a rebuild from scratch, and they agree with the computed read model."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.persisted import Follower
from infrastructure.view_sql import SqlSession
from tests.histories import ORIGIN, facts_for, subscriptions
from tests.services import Engine, engine_on
from tests.test_etincelle_scenario import history as etincelle_history

TABLES = {"invoices": "projection_invoices", "receivables": "projection_balances", "attestations": "projection_eligible"}


def snapshot(sql: SqlSession) -> dict[str, list[tuple]]:
    return {name: sorted(sql.execute("table.all", table=table)) for name, table in TABLES.items()}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(subs=subscriptions, cuts=st.lists(st.integers(0, 200), max_size=4), steps=st.lists(st.integers(1, 400), max_size=3),
       together=st.booleans(), page=st.integers(1, 40))
def test_incremental_views_equal_a_rebuild(backend: str, tmp_path: Path, subs, cuts, steps, together, page) -> None:
    with engine_on(backend, tmp_path) as engine:
        sql = SqlSession(engine.url)
        try:
            check_incremental_equals_rebuild(engine, sql, subs, cuts, steps, page if together else None)
        finally:
            sql.close()


def check_incremental_equals_rebuild(engine: Engine, sql: SqlSession, subs, cuts, steps, page: int | None) -> None:
    """Followed view by view, or all together by pages of `page` events; then rebuilt view by view
    and in one pass."""
    follower = Follower(engine.app, sql)
    facts = facts_for(subs, pack=True) + etincelle_history()
    bounds = sorted({0, len(facts), *(c % (len(facts) + 1) for c in cuts)})
    for start, end in zip(bounds, bounds[1:]):
        engine.ingest(*facts[start:end])
        for offset in steps:
            engine.advance(ORIGIN + timedelta(days=offset))
        follow(follower, page)
    engine.advance(ORIGIN + timedelta(days=420))
    follow(follower, page)
    incremental = snapshot(sql)
    for name in follower.views:
        follower.rebuild(name)
    assert snapshot(sql) == incremental
    follower.rebuild_all()
    assert snapshot(sql) == incremental
    assert_agrees_with_read_model(engine, incremental)
    assert all(s.lag == 0 for s in follower.status())


def follow(follower: Follower, page: int | None) -> None:
    if page:
        follower.catch_up_all(page=page)
    else:
        for name in follower.views:
            follower.catch_up(name)


def assert_agrees_with_read_model(engine: Engine, views: dict[str, list[tuple]]) -> None:
    invoices = engine.invoices()
    assert [row[0] for row in views["invoices"]] == sorted(i["number"] for i in invoices)
    invoiced: dict[str, Decimal] = {}
    for i in invoices:
        invoiced[i["client_id"]] = invoiced.get(i["client_id"], Decimal(0)) + Decimal(i["total_ttc"])
    assert {row[0]: Decimal(row[3]) for row in views["receivables"] if row[5]} == invoiced
