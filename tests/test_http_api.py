"""The HTTP API through the real `billing serve` on 127.0.0.1, on SQLite and PostgreSQL:
tokens and their scopes, facts in with ingest's rules, read models as the CLI gives them,
problem+json errors, metrics and logs, and property-based runs that must find no 500."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.billing_cli import billing_json, run_billing
from tests.http_facts import ETS_PAYMENT, PAYMENT, Api
from tests.http_server import bearer, new_token, running_server
from tests.http_strategies import bodies

ENDPOINTS = [("POST", "/facts", PAYMENT), ("GET", "/invoices", None), ("GET", "/invoices/BTB-2026-00001", None),
             ("GET", "/receivables?as_of=2026-10-01", None), ("GET", "/attestations?year=2026", None),
             ("POST", "/replay", {"terms": "CGPS20260208-2"}), ("GET", "/metrics", None)]
READS = [e for e in ENDPOINTS if e[0] == "GET" and e[1] != "/metrics"]


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    log = tmp_path / "server.log"
    with running_server(db_url, log) as base:
        yield Api(base, db_url, log)


def call(client, method: str, path: str, body: object = None):
    return client.request(method, path, json=body) if body is not None else client.request(method, path)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"] and "type" in problem
    return problem


def test_every_endpoint_refuses_a_missing_wrong_or_revoked_token(api: Api) -> None:
    token_id, secret = new_token(api.db, "auditor", "both")
    wrong_secret = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    run_billing("tokens", "revoke", token_id, db=api.db)
    listed = billing_json("tokens", "list", db=api.db)
    assert [t["id"] for t in listed if t["revoked_at"]] == [token_id]
    assert secret not in json.dumps(listed) and "hash" not in json.dumps(listed)
    for headers in ({}, bearer("nonsense"), bearer(wrong_secret), bearer(secret), {"Authorization": "Basic eDp5"}):
        with api.client() as c:
            for method, path, body in ENDPOINTS:
                response = c.request(method, path, json=body, headers=headers)
                assert_problem(response, 401)
                assert response.headers["www-authenticate"].startswith("Bearer")


def test_each_role_does_only_its_part(api: Api) -> None:
    with api.client(api.token("service", "both")) as c:
        for method, path, body in [*READS, ("POST", "/replay", {"terms": "CGPS20260208-2"})]:
            assert_problem(call(c, method, path, body), 403)
        register = {"key": "c", "type": "client.registered", "at": "2026-05-02T09:00:00+02:00",
                    "client_id": "C-ALPHA", "provider": "btbconnect", "name": "Alpha"}
        assert c.post("/facts", json=register).status_code == 201
    with api.client(api.token("finance", "both")) as c:
        assert_problem(c.post("/facts", json=PAYMENT), 403)
        assert_problem(c.post("/replay", json={"terms": "CGPS20260208-2"}), 403)
        for method, path, body in READS:
            assert call(c, method, path, body).status_code in (200, 404)
    with api.client(api.token("auditor", "both")) as c:
        assert_problem(c.post("/facts", json=PAYMENT), 403)
        replay = c.post("/replay", json={"terms": "CGPS20260208-2"})
        expected = 200 if importlib.util.find_spec("application.replay") else 501
        assert replay.status_code == expected, replay.text


def test_a_token_never_writes_nor_reads_another_providers_data(api: Api) -> None:
    api.load_both_histories()
    btb_service, ets_service = api.token("service", "btbconnect"), api.token("service", "etincelle")
    with api.client(btb_service) as c:
        for fact in (ETS_PAYMENT, {"key": "e-reg", "type": "client.registered", "at": "2026-01-01T10:00:00+01:00",
                                   "client_id": "E-NEW", "provider": "etincelle", "name": "X", "adult": True,
                                   "invoicing": "monthly"},
                     {"key": "e-held", "type": "session.student_absent", "at": "2026-01-14T17:30:00+01:00",
                      "session_id": "P1"}):
            assert "out" in assert_problem(c.post("/facts", json=fact), 403)["detail"]
    with api.client(ets_service) as c:
        assert_problem(c.post("/facts", json=PAYMENT), 403)
        batch = c.post("/facts", json=[PAYMENT, {"key": "s-x", "type": "subscription.cancellation_notified",
                                                 "at": "2026-06-01T10:00:00+02:00", "subscription_id": "S-B"}]).json()
        assert batch["recorded"] == 0 and [r["status"] for r in batch["refused"]] == [403, 403]
    with api.client(api.token("service", "both")) as c:  # the refused facts recorded nothing
        assert c.post("/facts", json=PAYMENT).json()["result"] == "recorded"
        assert c.post("/facts", json=ETS_PAYMENT).json()["result"] == "recorded"
    run_billing("advance", "--to", "2026-09-30", db=api.db)
    check_reads(api, "btbconnect", "BTB-", "ETS-2026-00001", "etincelle")
    check_reads(api, "etincelle", "ETS-", "BTB-2026-00001", "btbconnect")
    with api.client(api.token("finance", "btbconnect")) as c:
        assert_problem(c.get("/attestations", params={"year": 2026}), 403)
        assert c.get("/receivables", params={"as_of": "2026-10-01", "client": "E-PER"}).json() == []
    with api.client(api.token("auditor", "etincelle")) as c:
        assert_problem(c.post("/replay", json={"terms": "CGPS20260208-2"}), 403)
    with api.client(api.token("finance", "both")) as c:
        assert {r["provider"] for r in c.get("/invoices").json()} == {"btbconnect", "etincelle"}


def check_reads(api: Api, provider: str, prefix: str, foreign_number: str, foreign: str) -> None:
    with api.client(api.token("finance", provider)) as c:
        invoices = c.get("/invoices", params={"as_of": "2026-10-01"}).json()
        assert invoices and all(r["number"].startswith(prefix) and r["provider"] == provider for r in invoices)
        assert_problem(c.get("/invoices", params={"provider": foreign}), 403)
        assert_problem(c.get(f"/invoices/{foreign_number}"), 404)
        assert c.get(f"/invoices/{invoices[0]['number']}").status_code == 200
        rows = c.get("/receivables", params={"as_of": "2026-10-01"}).json()
        assert rows and {r["provider"] for r in rows} == {provider}
        assert_problem(c.get("/receivables", params={"as_of": "2026-10-01", "provider": foreign}), 403)
        assert foreign not in c.get("/metrics").text


def test_facts_follow_ingest_rules_with_problem_details(api: Api) -> None:
    with api.client(api.token("service", "btbconnect")) as c:
        register = {"key": "c-a", "type": "client.registered", "at": "2026-05-02T09:00:00+02:00",
                    "client_id": "C-ALPHA", "provider": "btbconnect", "name": "Cabinet Alpha"}
        first = c.post("/facts", json=register, headers={"X-Request-Id": "req-42"})
        assert (first.status_code, first.json(), first.headers["x-request-id"]) == (
            201, {"key": "c-a", "result": "recorded"}, "req-42")
        assert c.post("/facts", json=register).json() == {"key": "c-a", "result": "duplicate"}
        assert "other content" in assert_problem(c.post("/facts", json=register | {"name": "Other"}), 409)["detail"]
        bad = assert_problem(c.post("/facts", json=PAYMENT | {"amount": "five"}), 422)
        assert bad["errors"] == [{"key": "pay-http-1", "field": "amount"}] and "amount" in bad["detail"]
        no_key = {k: v for k, v in PAYMENT.items() if k != "key"}
        keyed = c.post("/facts", json=no_key, headers={"Idempotency-Key": "from-header"})
        assert (keyed.status_code, keyed.json()["key"]) == (201, "from-header")
        assert_problem(c.post("/facts", json=PAYMENT, headers={"Idempotency-Key": "other"}), 422)
        assert_problem(c.post("/facts", json=no_key), 422)
        assert_problem(c.post("/facts", content=b"{not json"), 422)
        assert_problem(c.post("/facts", content=b'"a string"'), 422)
        assert_problem(c.post("/facts", content=b"[" * 100000), 422)
        big = b'{"key": "' + b"x" * (1024 * 1024) + b'"}'
        assert_problem(c.post("/facts", content=big), 413)
        assert_problem(c.post("/facts", content=iter([big[:500000], big[500000:]])), 413)  # chunked
        assert_problem(c.post("/facts", json=[{}] * 1001), 413)
        report = c.post("/facts", json=[register, PAYMENT | {"key": "p2"}, 7, {"type": {"x": 1}},
                                        PAYMENT | {"key": "p3", "amount": "1"}]).json()
        assert (report["recorded"], report["duplicates"]) == (2, 1)
        assert [(r["key"], r["status"]) for r in report["refused"]] == [("item 3", 422), ("item 4", 422)]
        early = assert_problem(c.post("/facts", json=PAYMENT | {"key": "p0", "at": "2026-05-01T10:00:00+02:00"}), 422)
        assert "client.registered 'c-a' at 2026-05-02T09:00+02:00" in early["detail"]
        for overflow in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
            assert "out of range" in assert_problem(c.post("/facts", json=PAYMENT | {"at": overflow}), 422)["detail"]
        assert "U+0000" in assert_problem(c.post("/facts", json=register | {"key": "c-nul", "name": "A\u0000"}),
                                          422)["detail"]


def test_the_same_fact_posted_concurrently_is_recorded_once(api: Api) -> None:
    secret = api.token("service", "btbconnect")
    for n in range(4):
        register = {"key": f"c-z{n}", "type": "client.registered", "at": "2026-05-02T09:00:00+02:00",
                    "client_id": f"C-Z{n}", "provider": "btbconnect", "name": "Zed"}
        same = post_together(api, secret, [register] * 6)
        assert sorted(same) == [200] * 5 + [201], same
        rivals = [register | {"key": f"c-y{n}", "client_id": f"C-Y{n}", "name": f"Y {i}"} for i in range(6)]
        conflicting = post_together(api, secret, rivals)
        assert sorted(conflicting) == [201] + [409] * 5, conflicting
        assert sorted(post_together(api, secret, [register] * 6)) == [200] * 6


def test_single_facts_posted_at_once_by_several_tokens_are_each_judged_in_their_own_scope(api: Api) -> None:
    btb, ets = api.token("service", "btbconnect"), api.token("service", "etincelle")
    clients = [{"key": f"c-g{n}", "type": "client.registered", "at": "2026-05-02T09:00:00+02:00",
                "client_id": f"C-G{n}", "provider": "btbconnect", "name": "G"} for n in range(4)]
    posted = post_together_as(api, [(btb, clients[0]), (ets, clients[1]), (btb, clients[2]), (ets, clients[3]),
                                    (btb, clients[0] | {"name": "other"}), (btb, {"key": "bad", "type": "nope"})])
    # Each answer is its own fact's: recorded, out of the etincelle token's scope, key reused, unreadable.
    assert posted == [201, 403, 201, 403, 409, 422], posted
    with api.client(btb) as c:
        assert c.post("/facts", json=clients[1]).status_code == 201  # nothing of the refused one was kept


def post_together_as(api: Api, posts: list[tuple[str, dict]]) -> list[int]:
    """Each (secret, fact) posted by its own client at once; the statuses in the order given,
    the twin (same key) after the first."""
    barrier, statuses = threading.Barrier(len(posts)), [0] * len(posts)
    first_done = threading.Event()

    def post(i: int, secret: str, fact: dict) -> None:
        with api.client(secret) as c:
            barrier.wait()
            if i == 4:  # the twin of the first fact: after it
                first_done.wait(30)
            statuses[i] = c.post("/facts", json=fact).status_code
            if i == 0:
                first_done.set()

    threads = [threading.Thread(target=post, args=(i, s, f)) for i, (s, f) in enumerate(posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def post_together(api: Api, secret: str, facts: list[dict]) -> list[int]:
    barrier, statuses = threading.Barrier(len(facts)), []

    def post(fact: dict) -> None:
        with api.client(secret) as c:
            barrier.wait()
            statuses.append(c.post("/facts", json=fact).status_code)

    threads = [threading.Thread(target=post, args=(f,)) for f in facts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_reads_answer_what_the_command_line_answers(api: Api) -> None:
    api.load_both_histories()
    run_billing("advance", "--to", "2026-09-30", db=api.db)
    with api.client(api.token("finance", "both")) as c:
        for params in ({}, {"provider": "btbconnect", "from": "2026-06-01", "to": "2026-07-31"},
                       {"client": "E-MON"}):
            args = [x for k, v in params.items() for x in (f"--{k}", v)]
            cli = billing_json("invoices", *args, "--as-of", "2026-08-15", db=api.db)
            assert c.get("/invoices", params=params | {"as_of": "2026-08-15"}).json() == cli
        one = c.get("/invoices/BTB-2026-00002", params={"as_of": "2026-08-15"}).json()
        listed = [r for r in cli_invoices(api) if r["number"] == "BTB-2026-00002"][0]
        assert {k: v for k, v in one.items() if k != "explanation"} == listed
        assert ("explanation" in one) == bool(importlib.util.find_spec("application.explain"))
        cli_rows = billing_json("receivables", "--as-of", "2026-10-01", db=api.db)
        assert c.get("/receivables", params={"as_of": "2026-10-01"}).json() == cli_rows
        attested = c.get("/attestations", params={"year": 2026}).json()
        assert [{k: a[k] for k in sorted(a)} for a in attested] == \
            [{k: a[k] for k in sorted(a)} for a in billing_json("attestations", "--year", "2026", db=api.db)]
        assert_problem(c.get("/receivables"), 422)
        assert_problem(c.get("/attestations", params={"year": "1"}), 422)
        assert_problem(c.get("/invoices", params={"from": "9999-12-31"}), 422)
        assert_problem(c.get("/invoices/NOPE-1"), 404)
        assert_problem(c.get("/nowhere"), 404)


def cli_invoices(api: Api) -> list[dict]:
    return billing_json("invoices", "--as-of", "2026-08-15", db=api.db)


def test_replay_health_metrics_and_logs(api: Api) -> None:
    service, auditor = api.token("service", "btbconnect"), api.token("auditor", "btbconnect")
    api.load_both_histories()
    run_billing("advance", "--to", "2026-09-30", db=api.db)
    with api.client(auditor) as c:
        if importlib.util.find_spec("application.replay"):
            assert c.post("/replay", json={"terms": "CGPS20260208-2"}).json()["terms"] == "CGPS20260208-2"
        assert_problem(c.post("/replay", json={"terms": "NOPE"}), 422)
        assert_problem(c.post("/replay", json={"version": "x"}), 422)
    with api.client(service) as c:
        assert c.post("/facts", json=PAYMENT).status_code == 201
        assert_problem(c.post("/facts", json=PAYMENT | {"key": "k2", "amount": "x"}), 422)
    with api.client() as c:
        assert c.get("/health").json() == {"status": "ok"}
    with api.client(auditor) as c:
        text = c.get("/metrics").text
    with api.client(api.token("auditor", "both")) as c:
        everything = c.get("/metrics").text
    assert metric(text, 'billing_facts_recorded_total{provider="btbconnect"}') >= 1
    assert metric(text, 'billing_documents_issued_total{provider="btbconnect"}') == 13
    # A token of one provider sees only that provider's series: not the other's, nor the traffic
    # of both (requests, latency, facts that name no provider).
    assert 'provider="etincelle"' not in text and 'provider="none"' not in text
    assert "billing_http_request" not in text
    assert metric(everything, 'billing_facts_refused_total{provider="none"}') >= 1  # the amount "x"
    assert metric(everything, 'billing_facts_recorded_total{provider="etincelle"}') >= 1
    assert 'billing_http_request_duration_seconds_bucket{method="POST",route="/facts",le="+Inf"}' in everything
    lines = [json.loads(line) for line in api.log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["event"] == "http_request"]
    assert access and all(line["request_id"] and line["status"] for line in access)
    log_text = api.log.read_text()
    for secret_or_personal in (service, auditor, "Cabinet Alpha", "123456782", "FR76"):
        assert secret_or_personal not in log_text


def metric(text: str, name: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + " ")]
    assert len(values) == 1, (name, text)
    return values[0]


def test_openapi_and_docs_are_served(api: Api) -> None:
    with api.client() as c:
        schema = c.get("/openapi.json").json()
        assert {"/facts", "/invoices", "/invoices/{number}", "/receivables", "/attestations", "/replay",
                "/health", "/metrics"} <= set(schema["paths"])
        page = c.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)  # every asset the page loads: served here
        assert {a.rsplit("/", 1)[1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
        for asset in assets:
            assert asset.startswith("/"), f"/docs loads {asset} from elsewhere: it would be blank offline"
            assert c.get(asset).status_code == 200, asset


def test_generated_requests_find_no_server_error(api: Api, tmp_path: Path) -> None:
    """Schemathesis against the app's own OpenAPI: every operation, with a token that may
    append and one that may read and replay."""
    api.load_both_histories()
    run_billing("advance", "--to", "2026-09-30", db=api.db)
    command = Path(sys.executable).parent / "schemathesis"
    for role in ("service", "auditor"):
        result = subprocess.run(
            [str(command), "run", f"{api.base}/openapi.json", "--checks", "not_a_server_error",
             "-H", f"Authorization: Bearer {api.token(role, 'both')}", "--max-examples", "25", "--workers", "1",
             "--request-timeout", "60", "--output-sanitize", "true"],
            capture_output=True, text=True, cwd=tmp_path, timeout=600)
        assert result.returncode == 0, result.stdout[-6000:]
        assert "generated" in result.stdout
    assert '"status": 500' not in api.log.read_text()


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_generated_facts_find_no_server_error(api: Api, body: object) -> None:
    if not getattr(api, "loaded", False):
        api.load_both_histories()
        api.secret = api.token("service", "both")
        api.loaded = True
    with api.client(api.secret) as c:
        response = c.post("/facts", content=json.dumps(body).encode())  # Infinity too, as some encoders send
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 201, 403, 409, 422), response.text
