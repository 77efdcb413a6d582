"""Commands of the HTTP API: `billing serve` and `billing tokens` (filled in by the API work)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_commands(sub: argparse._SubParsersAction, common: Callable) -> None:
    """Adds the API's subcommands to the `billing` parser."""
