"""How a long operation tells how far it is: `progress(done, total)`, total None when unknown.
The command line draws it on a terminal (infrastructure/cli/progress.py); by default, nothing."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, "int | None"], None]


def no_progress(done: int, total: int | None = None) -> None:
    """Told nothing, shows nothing."""
