"""The command's JSON is written a row at a time, and reads exactly as `json.dumps(…, indent=2)`
would have written it, for any JSON value (hypothesis)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from hypothesis import given
from hypothesis import strategies as st

from infrastructure.cli.output import print_json, print_json_rows

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=25)


def printed(write, data) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        write(data)
    return out.getvalue()


@given(data=JSON)
def test_printed_json_is_that_of_json_dumps(data) -> None:
    assert printed(print_json, data) == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@given(rows=st.lists(JSON, max_size=5))
def test_rows_as_they_come_print_as_their_list(rows) -> None:
    assert printed(print_json_rows, iter(rows)) == json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
