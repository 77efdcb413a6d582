"""The API's group commit (infrastructure/http/fact_writer.py): what waits is judged as one
group, in arrival order, each request answered with its own outcome; a failure reaches every
request of its group; stopping judges what waits first."""

from __future__ import annotations

import threading

import pytest

from infrastructure.http.fact_writer import FactWriter

WAIT = 10.0


class HeldJudge:
    """Judges facts as (201, key); holds its first group until `release()`, so that the facts
    posted meanwhile wait together."""

    def __init__(self, fail: Exception | None = None):
        self.groups: list[list[str]] = []
        self.holding, self.released = threading.Event(), threading.Event()
        self.fail = fail

    def __call__(self, group: list) -> list[tuple[int, str]]:
        self.groups.append([fact["key"] for fact, _ in group])
        if len(self.groups) == 1:
            self.holding.set()
            assert self.released.wait(WAIT)
        if self.fail is not None and len(self.groups) > 1:
            raise self.fail
        return [(201, fact["key"]) for fact, _ in group]


def started(judge: HeldJudge, most: int = 500) -> FactWriter:
    writer = FactWriter(judge, most)
    writer.start()
    return writer


def test_facts_that_wait_are_judged_together_in_arrival_order() -> None:
    judge = HeldJudge()
    writer = started(judge)
    first = writer.submit({"key": "a"}, None)
    assert judge.holding.wait(WAIT)
    later = [writer.submit({"key": key}, None) for key in "bcd"]
    judge.released.set()
    assert [f.result(WAIT) for f in (first, *later)] == [(201, "a"), (201, "b"), (201, "c"), (201, "d")]
    writer.stop()
    assert judge.groups == [["a"], ["b", "c", "d"]]


def test_a_group_holds_at_most_its_bound() -> None:
    judge = HeldJudge()
    writer = started(judge, most=2)
    writer.submit({"key": "a"}, None)
    assert judge.holding.wait(WAIT)
    later = [writer.submit({"key": key}, None) for key in "bcde"]
    judge.released.set()
    assert [f.result(WAIT)[1] for f in later] == ["b", "c", "d", "e"]
    writer.stop()
    assert judge.groups == [["a"], ["b", "c"], ["d", "e"]]


def test_a_failed_group_is_the_answer_of_each_of_its_requests_and_the_writer_goes_on() -> None:
    judge = HeldJudge(fail=OSError("the store is gone"))
    writer = started(judge)
    writer.submit({"key": "a"}, None)
    assert judge.holding.wait(WAIT)
    later = [writer.submit({"key": key}, None) for key in "bc"]
    judge.released.set()
    for future in later:
        with pytest.raises(OSError, match="the store is gone"):
            future.result(WAIT)
    judge.fail = None
    assert writer.submit({"key": "d"}, None).result(WAIT) == (201, "d")
    writer.stop()


def test_stopping_judges_what_waits_first() -> None:
    judge = HeldJudge()
    writer = started(judge)
    writer.submit({"key": "a"}, None)
    assert judge.holding.wait(WAIT)
    later = [writer.submit({"key": key}, None) for key in "bc"]
    stopper = threading.Thread(target=writer.stop)
    stopper.start()
    judge.released.set()
    stopper.join(WAIT)
    assert not stopper.is_alive()
    assert [f.result(0) for f in later] == [(201, "b"), (201, "c")]


def test_a_group_judges_each_fact_within_its_own_requests_scope(engine) -> None:
    from types import SimpleNamespace

    from infrastructure.http.facts_api import judged_in_group
    from infrastructure.http.scope import ScopeCheck

    def client(n: int, provider: str) -> dict:
        consumer = {"adult": True, "invoicing": "monthly"} if provider == "etincelle" else {}
        return {"key": f"c-{n}", "type": "client.registered", "at": "2026-05-02T09:00:00+02:00",
                "client_id": f"C-{n}", "provider": provider, "name": "Cabinet", **consumer}

    btb, ets = ("btbconnect",), ("etincelle",)
    group = [(client(1, "btbconnect"), btb), (client(2, "btbconnect"), ets), (client(1, "btbconnect") | {"name": "X"}, btb),
             (client(3, "etincelle"), ets), (client(1, "btbconnect"), btb)]
    outcomes = judged_in_group(SimpleNamespace(ingest=engine.ingest_service),
                               [(fact, ScopeCheck(scope)) for fact, scope in group])
    # recorded; beyond the etincelle token's scope; key reused with other content; recorded; the twin.
    assert [status for status, _ in outcomes] == [201, 403, 409, 201, 200], outcomes
    assert engine.ingest(client(2, "btbconnect")).recorded == 1  # the refused one left nothing
