"""Long commands show their progress on stderr when it is a terminal (issue 18): counts, rate,
time left; nothing when stderr is a pipe, nothing with --quiet."""

from __future__ import annotations

import io
import os
import pty
import subprocess
from pathlib import Path

import pytest

from infrastructure.cli.progress import Progress, line
from tests.billing_cli import REPO, billing_command, jsonl
from tests.test_etincelle_scenario import booked, client, held


def test_a_line_tells_what_is_done_the_rate_and_the_time_left() -> None:
    # 12 345 of 30 000 facts in 3.2 s: 12 345 / 3.2 = 3 857.8 facts/s; (30 000 − 12 345) / 3 857.8 = 4.6 s
    assert line("ingest", "facts", 12345, 30000, 3.2) == "ingest: 12 345/30 000 facts (41%), 3 858 facts/s, 0:05 left"
    assert line("replay", "clients", 150, None, 2.0) == "replay: 150 clients, 75 clients/s"  # total unknown


def test_it_redraws_at_most_every_few_tenths_of_a_second_and_always_the_end() -> None:
    now = [0.0]
    out = io.StringIO()
    bar = Progress("ingest", "facts", shown=True, stream=out, clock=lambda: now[0])
    for done, at in ((100, 0.05), (200, 0.1), (300, 0.25), (400, 0.3)):
        now[0] = at
        bar(done, 1000)
    now[0] = 0.31
    bar(1000, 1000)
    bar.finish()
    drawn = out.getvalue().split("\r")[1:]
    assert [d.split(",")[0] for d in drawn] == ["ingest: 300/1 000 facts (30%)", "ingest: 1 000/1 000 facts (100%)"]
    assert out.getvalue().endswith("\n")


def test_not_shown_it_writes_nothing() -> None:
    out = io.StringIO()
    bar = Progress("ingest", "facts", shown=False, stream=out)
    bar(10, 10)
    bar.finish()
    assert out.getvalue() == ""


def facts_file(tmp_path: Path) -> Path:
    facts = [client("E-A", "per_session")]
    for n in range(1, 6):
        facts += [*booked(f"A{n}", "E-A", f"2026-01-{10 + n}T17:00:00+01:00", 60, "45.00"),
                  held(f"A{n}", f"2026-01-{10 + n}T18:00:00+01:00")]
    path = tmp_path / "facts.jsonl"
    path.write_text(jsonl(facts))
    return path


def stderr_on_a_terminal(*args: str, tmp_path: Path) -> str:
    """The command run with its stderr on a pseudo-terminal: what it wrote there."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "warning"}
    process = subprocess.Popen([*billing_command(), *args], stdout=subprocess.DEVNULL, stderr=slave, env=env,
                               cwd=REPO)
    os.close(slave)
    written = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        written += chunk
    assert process.wait(timeout=300) == 0
    os.close(master)
    return written.decode()


@pytest.mark.parametrize("command", [["ingest", "{facts}"], ["advance", "--to", "2026-01-31"], ["verify"],
                                     ["replay", "--terms", "CGV-2025-09-02"], ["projections", "rebuild"]])
def test_long_commands_show_progress_on_a_terminal_only(command: list[str], tmp_path: Path) -> None:
    db, facts = str(tmp_path / "billing.db"), facts_file(tmp_path)
    if command[0] != "ingest":
        subprocess.run([*billing_command(), "ingest", str(facts), "--db", db], check=True, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
        subprocess.run([*billing_command(), "advance", "--to", "2026-01-31", "--db", db], check=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
    args = [part.format(facts=facts) for part in command] + ["--db", db]
    shown = stderr_on_a_terminal(*args, tmp_path=tmp_path)
    assert "/s" in shown and "\r" in shown, shown  # a count and its rate, redrawn in place
    if command[0] == "ingest":  # a file is read as it is ingested, its facts counted first: the bar knows the total
        count = len(facts.read_text().splitlines())
        assert f"{count}/{count} facts (100%)" in shown, shown
    assert stderr_on_a_terminal(*args, "--quiet", tmp_path=tmp_path).strip() == ""
    piped = subprocess.run([*billing_command(), *args], capture_output=True, text=True, cwd=REPO,
                           env={**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "warning"})
    assert "/s" not in piped.stderr and "\r" not in piped.stderr


def test_tables_fit_the_terminal_by_wrapping_text_never_amounts() -> None:
    from infrastructure.cli.output import table

    rows = [["session", "Cours particulier (college) – 06/05/2026 16:00, 60 min, à domicile", "1", "1790.00"]]
    text = table(["code", "description", "qty", "TTC"], rows, {2, 3}, width=50)
    assert max(len(line) for line in text.splitlines()) <= 50
    assert "1790.00" in text.splitlines()[2]  # the amount whole, on the row's first line
    assert " ".join(text.replace("-", " ").split()).count("à domicile") == 1  # nothing of the text lost
    narrow = table(["client", "outstanding", "overdue"], [["B000952", "123456.78", "98765.43"]], {1, 2}, width=20)
    assert "123456.78" in narrow and "98765.43" in narrow  # wider than asked rather than cut


def test_invoices_on_a_terminal_fit_its_width(tmp_path: Path) -> None:
    db, facts = str(tmp_path / "billing.db"), facts_file(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "warning"}
    for args in (["ingest", str(facts)], ["advance", "--to", "2026-01-31"]):
        subprocess.run([*billing_command(), *args, "--db", db], check=True, capture_output=True, env=env, cwd=REPO)
    master, slave = pty.openpty()
    process = subprocess.Popen([*billing_command(), "invoices", "--db", db], stdout=slave,
                               stderr=subprocess.DEVNULL, env={**env, "COLUMNS": "72"}, cwd=REPO)
    os.close(slave)
    written = b""
    while chunk := read_some(master):
        written += chunk
    process.wait(timeout=300)
    os.close(master)
    shown = written.decode().splitlines()
    assert max(len(line) for line in shown) <= 72, shown
    assert sum(line.startswith("session") and line.endswith("45.00") for line in shown) == 5  # amounts whole


def read_some(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
