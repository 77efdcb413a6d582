"""ECB main refinancing rates as dated data (infrastructure/reference_data/ecb_rates.toml)."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.errors import TermsError
from domain.penalties import RateTable


class _Rate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: date
    rate: Decimal = Field(ge=-5, le=50)


class _Rates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rates: list[_Rate] = Field(min_length=1)


def load_ecb_rates() -> RateTable:
    text = resources.files("infrastructure.reference_data").joinpath("ecb_rates.toml").read_text("utf-8")
    try:
        parsed = _Rates.model_validate(tomllib.loads(text))
    except (ValidationError, tomllib.TOMLDecodeError) as exc:
        raise TermsError(f"ECB rate table is refused: {exc}") from None
    rows = sorted((r.since, r.rate) for r in parsed.rates)
    if len({since for since, _ in rows}) != len(rows):
        raise TermsError("ECB rate table has two rates on the same day")
    return RateTable(tuple(rows))
