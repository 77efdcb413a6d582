"""Hostile input through the real `billing` command, on both backends: every line a parser or a
clock conversion could choke on is refused by line or key with a message, the other facts of the
file are judged as usual, nothing is recorded for the refused ones, and no command ends in a
traceback."""

from __future__ import annotations

import json
import subprocess

import pytest

from structlog.testing import capture_logs

from infrastructure.cli.wiring import Services, services
from tests.billing_cli import billing_command, billing_json, jsonl, run_billing
from tests.test_ingest_rules import fact

AT = "2026-05-01T09:00:00+02:00"


def client(key: str, client_id: str, **fields: object) -> dict:
    return {**fact(key, "client.registered", AT, client_id=client_id, provider="btbconnect", name="Agence"),
            **fields}


def hostile_lines() -> tuple[bytes, dict[str, str]]:
    """The file's bytes, and for each refused line the key it is reported by and a part of its
    message."""
    lines = [
        (json.dumps(client("ok1", "C1")).encode(), None, None),
        (b'{"key": "deep", "x": ' + b"[" * 1200 + b"]" * 1200 + b"}", "line 2", "nested too deeply"),
        (b'{"key": "bigint", "x": ' + b"9" * 5000 + b"}", "line 3", "over 4 300 digits"),
        (json.dumps(client("early", "C2", at="0001-01-01T00:00:00+01:00")).encode(), "early", "out of range"),
        (json.dumps(client("late", "C3", at="9999-12-31T23:59:59-01:00")).encode(), "late", "out of range"),
        (json.dumps(client("k", "C4")).replace('"k"', '"k\\ud800"').encode(), "line 6", "lone surrogate"),
        (json.dumps(client("nul\u0000", "C5")).encode(), "line 7", "U+0000"),
        (json.dumps(client("nul-name", "C6", name="A\u0000B")).encode(), "nul-name", "U+0000"),
        # Split on these, the line would give two refusals "not valid JSON" and no key.
        (json.dumps(client("ls", "C7", name="A\u2028B"), ensure_ascii=False).encode(), "ls", "U+2028"),
        (json.dumps(client("nel", "C8", name="A\u0085B"), ensure_ascii=False).encode(), "nel", "U+0085"),
        (json.dumps(fact("arabic", "payment.received", AT, client_id="C1", amount="١٠.٠٠", method="card"),
                    ensure_ascii=False).encode(), "arabic", "'amount'"),
        (b'{"key": "latin1", "type": "client.registered", "name": "\xe9"}', "latin1", "not UTF-8 (byte 0xE9"),
        (json.dumps(client("ok2", "C9")).encode(), None, None),
    ]
    expected = {key: part for _, key, part in lines if key}
    return b"\n".join(line for line, _, _ in lines) + b"\n", expected


def ingest_bytes(db: str, data: bytes, *source: str) -> subprocess.CompletedProcess:
    return subprocess.run([*billing_command(), "ingest", *source, "--format", "json", "--db", db], input=data,
                          capture_output=True, timeout=300)


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_hostile_lines_are_refused_one_by_one_and_the_rest_goes_in(db_url: str, tmp_path, source: str) -> None:
    data, expected = hostile_lines()
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(data)
    result = ingest_bytes(db_url, data, str(path) if source == "file" else "-")
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["recorded"] == 2
    refused = {r["key"]: r["error"] for r in report["refused"]}
    assert set(refused) == set(expected)
    for key, part in expected.items():
        assert part in refused[key], (key, refused[key])
    # Nothing of them was recorded: the good ones again are duplicates, the rest refused again.
    again = json.loads(ingest_bytes(db_url, data, "-").stdout)
    assert (again["recorded"], again["duplicates"], len(again["refused"])) == (0, 2, len(expected))


@pytest.mark.parametrize("command", [["advance", "--to", "9999-12-30"], ["receivables", "--as-of", "9999-12-31"],
                                     ["attestations", "--year", "9999"], ["invoices", "--known-at",
                                                                          "0001-01-01T00:00:00+01:00"]])
def test_dates_out_of_range_are_refused_by_the_command_line(db_url: str, command: list[str]) -> None:
    result = run_billing(*command, db=db_url, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "out of range" in result.stderr or "between 2000 and 2100" in result.stderr


def test_a_view_that_cannot_follow_never_fails_the_command_that_committed(db_url: str, monkeypatch) -> None:
    def broken(self: Services, progress: object = None) -> None:
        raise RuntimeError("a view could not store this row")

    monkeypatch.setattr(Services, "_follow", broken)
    with services(db_url) as s, capture_logs() as logs:
        report = s.ingest.ingest_lines([json.dumps(client("ok1", "C1"))])
        s.follow_projections()  # as every command does once its work is committed
    assert report.recorded == 1
    (failure,) = [entry for entry in logs if entry["event"] == "projections_not_followed"]
    assert failure["error"] == "a view could not store this row" and failure["log_level"] == "error"
    monkeypatch.undo()
    assert billing_json("ingest", "-", db=db_url, stdin=jsonl([client("ok1", "C1")]))["duplicates"] == 1
