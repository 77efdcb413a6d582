"""What `billing verify` reports: one finding of a kind, where, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str
    number: str  # the document, or the place in the log ("seal at 1234", an aggregate id)
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "number": self.number, "detail": self.detail}
