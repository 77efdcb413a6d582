"""The real clock, kept out of the domain: recorded times come from here."""

from datetime import datetime, timezone


def system_clock() -> datetime:
    return datetime.now(timezone.utc)
