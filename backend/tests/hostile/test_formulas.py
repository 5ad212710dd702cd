"""The formula guard normalises before it tests the first character: a full-width equals
sign, a leading space, tab or quote does not slip a formula into a spreadsheet, in any text
column (values, metadata, names) and in the headers, for CSV (Arrow) and Excel (pandas)."""

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from coderai.exports.writers import _neutralise_arrow, is_formula, neutralise_formulas

HOSTILE = [
    "\uff1d1+1",  # full-width equals sign
    ' =HYPERLINK("http://x")',
    "\t=1+1",
    '"=1+1',
    "'@SUM(A1)",
    "\u3000\uff0bcmd",  # ideographic space, full-width plus
    "\u00a0-2+3",
]
HARMLESS = ["ok", "a = b", "email@example.org", "1+1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_disguised_formulas_are_recognised(value: str) -> None:
    assert is_formula(value)


@pytest.mark.parametrize("value", HARMLESS)
def test_plain_text_is_left_alone(value: str) -> None:
    assert not is_formula(value)


def frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame(
        {
            "document_name": HOSTILE,
            "meta_note": list(reversed(HOSTILE)),
            "\uff1dcmd|' /C calc'!A0": ["x"] * n,  # a header from a table's own column name
            "plain": (HARMLESS * 2)[:n],
            "participants": [-12.5] * n,
        }
    )


def test_excel_path_quotes_every_column_and_header() -> None:
    out = neutralise_formulas(frame())
    for column in ("document_name", "meta_note"):
        assert all(v.startswith("'") for v in out[column]), out[column].tolist()
    assert "'\uff1dcmd|' /C calc'!A0" in out.columns
    assert out["plain"].tolist() == frame()["plain"].tolist()
    assert out["participants"].tolist() == [-12.5] * len(HOSTILE)  # numbers stay numbers


def test_csv_path_quotes_every_column_and_header() -> None:
    table = _neutralise_arrow(pa.Table.from_pandas(frame(), preserve_index=False))
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    written = pd.read_csv(io.BytesIO(buffer.getvalue()), dtype=str, keep_default_na=False)
    for column in ("document_name", "meta_note"):
        assert all(v.startswith("'") for v in written[column]), written[column].tolist()
    assert written.columns[2].startswith("'")
    assert written["plain"].tolist() == frame()["plain"].tolist()
