"""The real `billing serve` in a subprocess on a free loopback port, for the HTTP API tests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.billing_cli import REPO, billing_command, billing_json


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The tests send many refused requests on purpose: the failure limit is tested on its own.
UNLIMITED = {"BILLING_HTTP_MAX_FAILURES": "1000000"}


@contextmanager
def running_server(db: str, log_file: Path, settings: dict[str, str] = UNLIMITED,
                   options: tuple[str, ...] = ()) -> Iterator[str]:
    """Starts `billing serve` on ``db`` (``settings``: BILLING_HTTP_* variables; ``options``: more
    arguments of `billing serve`); yields its base URL once /health answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "info", **settings}
    with log_file.open("wb") as log:
        process = subprocess.Popen([*billing_command(), "serve", "--db", db, "--port", str(port), *options],
                                   stdout=log, stderr=log, env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log_file)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(base: str, process: subprocess.Popen, log_file: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"billing serve exited ({process.returncode}):\n{log_file.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"billing serve did not answer in {seconds} s:\n{log_file.read_text()}")


def new_token(db: str, role: str, provider: str, name: str = "") -> tuple[str, str]:
    """(id, secret) of a token made through `billing tokens create`."""
    made = billing_json("tokens", "create", "--role", role, "--provider", provider, "--name", name, db=db)
    return made["id"], made["token"]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
