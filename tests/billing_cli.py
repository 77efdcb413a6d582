"""Runs the real `billing` command in a subprocess, as callers do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def billing_command() -> list[str]:
    installed = Path(sys.executable).parent / "billing"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "infrastructure.cli.main"]


def run_billing(*args: str, db: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "warning"}
    result = subprocess.run(
        [*billing_command(), *args, "--db", db], input=stdin, capture_output=True, text=True,
        env=env, cwd=REPO, timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"billing {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def billing_json(*args: str, db: str, stdin: str | None = None, check: bool = True) -> Any:
    result = run_billing(*args, "--format", "json", db=db, stdin=stdin, check=check)
    return json.loads(result.stdout)


def jsonl(facts: list[dict]) -> str:
    return "".join(json.dumps(f) + "\n" for f in facts)
