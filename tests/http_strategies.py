"""Hypothesis strategies for POST /facts: facts of every known type with fields drawn from the
contract's names and from values that exist in the scenario histories, right or wrong."""

from __future__ import annotations

from hypothesis import strategies as st

from application.facts import FACT_TYPES

FIELDS = sorted({name for model in FACT_TYPES.values() for name in model.model_fields} - {"key", "type", "at"})
KNOWN = ["C-ALPHA", "C-BETA", "E-PER", "E-MON", "S-A", "S-C", "P-A", "PA1", "P1", "M7", "BTB-2026-00001",
         "ETS-2026-00001", "159.00", "0.00", "2026-05-04", "2026-05-04T10:00:00+02:00", "btbconnect", "etincelle",
         "multicanal", "GROW", "home", "lycee", "client", "card", "monthly", "FR7630006000011234567890189"]
scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.sampled_from(KNOWN)
           | st.text(max_size=12) | st.floats(allow_nan=False))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                          max_size=3), max_leaves=5)
moments = st.sampled_from(["2026-05-04T10:00:00+02:00", "2026-01-14T17:00:00+01:00", "2026-05-04", "yesterday"])


@st.composite
def facts(draw: st.DrawFn) -> dict:
    fact = {"key": draw(st.text(min_size=1, max_size=8)), "type": draw(st.sampled_from(sorted(FACT_TYPES))),
            "at": draw(moments)}
    fact |= draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=6))
    return {k: v for k, v in fact.items() if not draw(st.booleans()) or k not in ("key", "type", "at")} \
        if draw(st.integers(0, 9)) == 0 else fact


bodies = facts() | st.lists(facts() | values, max_size=4)
