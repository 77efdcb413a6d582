"""Running one step in a child process (its peak RSS from wait4), the throwaway databases, and
what the machine is."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

SCRIPTS = Path(__file__).resolve().parent.parent
REPO = SCRIPTS.parent


class StepFailed(RuntimeError):
    pass


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BILLING_URSSAF_URL", "BILLING_DATABASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join([str(SCRIPTS), str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env["BILLING_LOG_LEVEL"] = "warning"
    return env


def run_step(workdir: Path, label: str, spec: dict) -> dict:
    """Runs `spec["step"]` in a fresh interpreter; adds its wall time (the step reports its own
    peak RSS, MiB)."""
    spec_path, result_path = workdir / f"{label}.spec.json", workdir / f"{label}.result.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench_lib.step", str(spec_path), str(result_path)],
                            env=child_env(), cwd=REPO)
    if proc.wait() != 0 or not result_path.exists():
        raise StepFailed(f"step {label} failed (exit code {proc.returncode})")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    result["process_seconds"] = time.perf_counter() - start
    return result


def with_dbname(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new database `billing_bench_<random>` on the server, dropped afterwards."""
    name = f"billing_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'")
                     .format(sql.Identifier(name)))
    try:
        yield with_dbname(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def postgres_info(url: str) -> dict:
    with psycopg.connect(url) as conn:
        info = {"version": conn.execute("SHOW server_version").fetchone()[0]}
        for name in ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers"):
            info[name] = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
    return info


def command_output(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unavailable"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": command_output("nproc"), "free_h": command_output("free", "-h"), "cpu": cpu,
            "platform": platform.platform(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "load_average_at_start": os.getloadavg()}


def code_version() -> dict:
    """The commit measured, and the files changed in the working tree (they are measured too)."""
    changed = command_output("git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no")
    return {"commit": command_output("git", "-C", str(REPO), "rev-parse", "--short", "HEAD"),
            "modified": [line[3:] for line in changed.splitlines()] if changed != "unavailable" else []}
