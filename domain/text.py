"""Text that prints: what every text field of a fact or a data file must be."""

from __future__ import annotations

import re

# Control characters (C0, DEL, C1), line and paragraph separators, lone surrogates: not text that
# prints, and PostgreSQL cannot store NUL.
NOT_PRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    found = NOT_PRINTABLE.search(text)
    if found:
        raise ValueError(f"holds the character U+{ord(found.group()):04X} at position {found.start() + 1}, "
                         "which is not printable text")
    return text
