"""Every format read back with its usual reader and compared with the stored extractions."""

import datetime as dt
import json
import math
import re
import uuid
from typing import Any

import httpx
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from coderai.core.database import Database
from coderai.models import Extraction
from tests.exports.conftest import (
    FAILED_DOC,
    VARIABLES,
    Trials,
    as_file,
    export,
    stored_extractions,
)
from tests.support.factories import create_project, create_variable
from tests.support.seed import seed_documents, seed_job

RISKY = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    return "'" + value if value.startswith(RISKY) else value


def is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def same(exported: Any, stored: Any, *, neutralised: bool) -> bool:
    """An exported cell equals the stored typed value (dates as dates, text neutralised)."""
    if stored is None:
        return is_missing(exported)
    if isinstance(stored, bool):
        return bool(exported) is stored and not is_missing(exported)
    if isinstance(stored, int | float):
        return float(exported) == float(stored)
    if isinstance(exported, dt.datetime | dt.date | pd.Timestamp):
        return exported.strftime("%Y-%m-%d") == stored
    return bool(exported == (spreadsheet_text(stored) if neutralised else stored))


def assert_wide_matches(
    rows: list[dict[str, Any]],
    extractions: list[Extraction],
    names: dict[Any, str],
    *,
    neutralised: bool,
) -> int:
    by_doc = {str(row["document_id"]): row for row in rows}
    checked = 0
    for extraction in extractions:
        row = by_doc[str(extraction.document_id)]
        name = names[extraction.variable_id]
        if isinstance(extraction.value, list):
            for i, item in enumerate(extraction.value, start=1):
                assert same(row[f"{name}_{i}"], item, neutralised=neutralised), (name, i, row)
        elif name not in row:  # a list variable with no answer
            assert is_missing(row[f"{name}_1"]), (name, row)
        else:
            assert same(row[name], extraction.value, neutralised=neutralised), (name, row)
        assert row[f"{name}_status"] == ("OK" if extraction.value is not None else "NOT_FOUND")
        checked += 1
    return checked


async def test_csv_wide_matches_stored_extractions(
    client: httpx.AsyncClient, db: Database, trials: Trials
) -> None:
    info, download = await export(
        client, trials.project_id, format="CSV_WIDE", includeSourceText=True
    )
    assert info["layout"] == "WIDE" and info["format"] == "CSV_WIDE"
    assert info["fileSize"] == len(download.content)
    assert info["jobId"] == str(trials.job.job_id)
    assert re.fullmatch(r"trials-kenya-peru_[0-9a-f]{8}_wide\.csv", info["filename"])
    assert info["filename"].split("_")[1] == str(trials.job.job_id)[:8]
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and info["filename"] in disposition
    assert download.headers["content-type"].startswith("text/csv")

    frame = pd.read_csv(as_file(download))
    assert list(frame.columns[:2]) == ["document_id", "document_name"]
    value_columns = [c for c in frame.columns if c in VARIABLES or re.fullmatch(r"outcomes_\d", c)]
    assert value_columns == [*VARIABLES[:-1], "outcomes_1", "outcomes_2"]
    assert {"participants_confidence", "participants_source", "design_corrected"} <= set(frame)
    assert list(frame.columns[-3:]) == ["meta_country", "meta_registry", "meta_year"]
    assert frame["document_id"].tolist() == [str(d) for d in trials.job.document_ids]
    assert frame["participants"].dtype.kind == "f"  # numbers stay numbers
    assert frame["meta_year"].tolist() == [2020, 2021, 2019, 2018]

    extractions = await stored_extractions(db, trials.job.job_id)
    names = {vid: name for name, vid in trials.job.variables.items()}
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    assert assert_wide_matches(rows, extractions, names, neutralised=True) == len(extractions)
    for extraction in extractions:
        row = next(r for r in rows if r["document_id"] == str(extraction.document_id))
        name = names[extraction.variable_id]
        assert row[f"{name}_confidence"] == pytest.approx(extraction.confidence)
        if extraction.source_text:
            assert row[f"{name}_source"] == extraction.source_text


async def test_csv_long_agrees_with_wide(client: httpx.AsyncClient, trials: Trials) -> None:
    _, wide_file = await export(client, trials.project_id, format="CSV_WIDE")
    info, long_file = await export(client, trials.project_id, format="CSV_LONG")
    assert info["layout"] == "LONG" and info["filename"].endswith("_long.csv")
    wide = pd.read_csv(as_file(wide_file), dtype=str, keep_default_na=False)
    long = pd.read_csv(as_file(long_file), dtype=str, keep_default_na=False)
    assert list(long.columns[:2]) == ["document_id", "document_name"]
    # Every (document, variable) cell of the wide table has its rows in the long one.
    assert set(zip(long["document_id"], long["variable"], strict=True)) == {
        (doc, variable) for doc in wide["document_id"] for variable in VARIABLES
    }
    by_doc = wide.set_index("document_id")
    for row in long.to_dict("records"):
        wide_row = by_doc.loc[row["document_id"]]
        variable = row["variable"]
        assert row["status"] == wide_row[f"{variable}_status"], row
        assert row["corrected"] == wide_row[f"{variable}_corrected"], row
        column = f"{variable}_{row['value_index']}" if variable == "outcomes" else variable
        if variable == "participants":
            assert row["value_number"] == wide_row[column] or float(row["value_number"]) == float(
                wide_row[column]
            )
        elif variable == "blinded":
            assert row["value"] == wide_row[column].lower(), row
        else:
            assert row["value"] == wide_row[column], row
    assert (long["variable"] == "outcomes").sum() == 5  # two values, one, one NOT_FOUND, failed
    # The unit is the answer's own (a number's unit), as the engine stored it.
    units = {(r["document_id"], r["variable"]): r["unit"] for r in long.to_dict("records")}
    assert units[(trials.doc(0), "participants")] == "patients"
    assert {unit for key, unit in units.items() if key != (trials.doc(0), "participants")} == {""}


async def test_excel_sheets_types_and_layout(
    client: httpx.AsyncClient, db: Database, trials: Trials
) -> None:
    info, download = await export(client, trials.project_id, format="EXCEL")
    assert info["filename"].endswith("_wide.xlsx")
    book = openpyxl.load_workbook(as_file(download))
    assert book.sheetnames == ["Data", "Codebook", "Quality"]
    sheet = book["Data"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["document_id", "document_name", "participants"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "C2"
    assert sheet.column_dimensions["B"].width >= len("document_name")
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    first = rows[0]
    assert isinstance(first["participants"], int | float) and first["participants"] == 120
    assert isinstance(first["start_date"], dt.datetime)
    assert first["start_date"].date() == dt.date(2021, 3, 15)
    assert sheet.cell(2, header.index("start_date") + 1).number_format == "YYYY-MM-DD"
    assert first["blinded"] is True
    assert rows[1]["participants"] == -12.5  # a negative number is a number, not a formula
    # A formula is text with a leading quote, never a formula cell.
    summary = sheet.cell(2, header.index("summary") + 1)
    assert summary.data_type == "s" and summary.value.startswith("'=HYPERLINK")
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row if cell.value)

    extractions = await stored_extractions(db, trials.job.job_id)
    names = {vid: name for name, vid in trials.job.variables.items()}
    assert assert_wide_matches(rows, extractions, names, neutralised=True) == len(extractions)

    codebook = [[c.value for c in row] for row in book["Codebook"].iter_rows()]
    assert codebook[1][:2] == ["Project", "Trials: Kenya & Peru"]
    variable_header = next(row for row in codebook if row[0] == "Variable")
    variable_rows = codebook[codebook.index(variable_header) + 1 :]
    assert [row[0] for row in variable_rows] == VARIABLES
    design = dict(zip(variable_header, variable_rows[1], strict=True))
    assert "1 = RCT: Participants randomly assigned to arms." in design["Categories"]
    assert design["Prompt version"] == 1 and len(design["Prompt hash"]) == 64
    quality = pd.read_excel(as_file(download), sheet_name="Quality")
    assert quality["Variable"].tolist() == VARIABLES
    assert {"Filled %", "Mean confidence", "Flagged %", "Ungrounded %"} <= set(quality)


async def test_json_has_codebook_and_data(
    client: httpx.AsyncClient, db: Database, trials: Trials
) -> None:
    info, download = await export(client, trials.project_id, format="JSON")
    document = json.loads(download.content)
    assert set(document) == {"codebook", "data"}
    codebook, rows = document["codebook"], document["data"]
    assert len(rows) == 4 == info["rowCount"]
    assert rows[0]["start_date"] == "2021-03-15" and rows[0]["participants"] == 120
    assert rows[0]["blinded"] is True and rows[3]["blinded"] is None
    extractions = await stored_extractions(db, trials.job.job_id)
    names = {vid: name for name, vid in trials.job.variables.items()}
    assert assert_wide_matches(rows, extractions, names, neutralised=False) == len(extractions)

    assert codebook["project"]["name"] == "Trials: Kenya & Peru"
    assert codebook["unitOfObservation"]["mode"] == "DOCUMENT"
    assert codebook["job"]["id"] == str(trials.job.job_id) and codebook["job"]["completedAt"]
    design = next(v for v in codebook["variables"] if v["name"] == "design")
    assert design["type"] == "CATEGORY" and design["instructions"]
    assert design["categories"][0] == {
        "code": 1,
        "value": "RCT",
        "definition": "Participants randomly assigned to arms.",
    }
    prompt = design["prompt"]
    assert prompt["version"] == 1 and len(prompt["contentHash"]) == 64
    assert prompt["model"] and prompt["temperature"] is not None
    assert set(codebook["statuses"]) == {
        "OK",
        "NOT_FOUND",
        "BELOW_THRESHOLD",
        "DOCUMENT_FAILED",
        "NOT_PROCESSED",
        "CALL_FAILED",
        "OUT_OF_LIST",
    }
    columns = {c["name"]: c for c in codebook["columns"]}
    assert columns["outcomes_2"]["variable"] == "outcomes"
    assert columns["meta_country"]["metadataKey"] == "country"

    # The same codebook is downloadable beside the file.
    separate = await client.get(info["codebookUrl"])
    assert separate.status_code == 200
    assert json.loads(separate.content)["variables"] == codebook["variables"]


async def test_parquet_keeps_real_types(
    client: httpx.AsyncClient, db: Database, trials: Trials
) -> None:
    info, download = await export(client, trials.project_id, format="PARQUET")
    assert info["filename"].endswith("_wide.parquet")
    table = pq.read_table(as_file(download))
    schema = table.schema
    assert schema.field("participants").type == pa.float64()
    assert schema.field("start_date").type == pa.date32()
    assert schema.field("blinded").type == pa.bool_()
    assert schema.field("participants_confidence").type == pa.float64()
    assert pa.types.is_string(schema.field("design").type) or pa.types.is_large_string(
        schema.field("design").type
    )
    assert schema.field("meta_year").type == pa.int64()
    codebook = json.loads(schema.metadata[b"coderai.codebook"])
    assert [v["name"] for v in codebook["variables"]] == VARIABLES

    frame = pd.read_parquet(as_file(download))
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    assert rows[0]["start_date"] == dt.date(2021, 3, 15)
    extractions = await stored_extractions(db, trials.job.job_id)
    names = {vid: name for name, vid in trials.job.variables.items()}
    assert assert_wide_matches(rows, extractions, names, neutralised=False) == len(extractions)


async def test_stata_labels_and_extended_missing(
    client: httpx.AsyncClient, db: Database, trials: Trials
) -> None:
    info, download = await export(client, trials.project_id, format="STATA", minConfidence=0.5)
    assert info["filename"].endswith("_wide.dta")
    with pd.io.stata.StataReader(as_file(download)) as reader:
        labels = reader.variable_labels()
        frame = reader.read()
        value_labels = reader.value_labels()
    assert labels["participants"] == "Participants"
    assert labels["participants_confidence"] == "Participants: confidence"
    assert value_labels["design"] == {1: "RCT", 2: "Cohort", 3: "Case-control"}
    assert frame["design"].tolist()[0] == "RCT"
    assert frame["start_date"].iloc[0] == pd.Timestamp("2021-03-15")
    assert frame["participants"].tolist()[:2] == [120, -12.5]

    raw = pd.read_stata(
        as_file(download), convert_missing=True, convert_dates=False, convert_categoricals=False
    )

    def code(column: str, row: int) -> str:
        value = raw[column].iloc[row]
        return value.string if isinstance(value, pd.io.stata.StataMissingValue) else "value"

    assert code("design", 1) == ".b"  # confidence 0.4 < 0.5: BELOW_THRESHOLD
    assert code("start_date", 1) == ".a"  # NOT_FOUND
    assert code("participants", FAILED_DOC) == ".c"  # DOCUMENT_FAILED
    assert code("blinded", 3) == ".a"  # no answer stored for a processed document
    assert code("participants", 0) == "value"
    assert raw["summary"].iloc[FAILED_DOC] == ""  # strings: empty, status column has the code
    assert raw["summary_status"].iloc[FAILED_DOC] == "DOCUMENT_FAILED"

    codebook = json.loads((await client.get(info["codebookUrl"])).content)
    assert ".a NOT_FOUND" in codebook["missingValues"]
    assert codebook["statuses"]["DOCUMENT_FAILED"]["stata"] == ".c"
    columns = {c["name"]: c for c in codebook["columns"]}
    assert columns["design"]["stataName"] == "design"
    assert columns["design"]["stataValueLabels"] == {"1": "RCT", "2": "Cohort", "3": "Case-control"}


@pytest.mark.parametrize("fmt", ["EXCEL", "JSON", "PARQUET", "STATA", "CSV"])
async def test_long_layout_in_every_format(
    client: httpx.AsyncClient, trials: Trials, fmt: str
) -> None:
    info, download = await export(client, trials.project_id, format=fmt, layout="LONG")
    assert info["layout"] == "LONG" and "_long." in info["filename"]
    if fmt == "EXCEL":
        frame = pd.read_excel(as_file(download), sheet_name="Data")
    elif fmt == "JSON":
        frame = pd.DataFrame(json.loads(download.content)["data"])
    elif fmt == "PARQUET":
        frame = pd.read_parquet(as_file(download))
    elif fmt == "STATA":
        frame = pd.read_stata(as_file(download))
    else:
        frame = pd.read_csv(as_file(download))
    # 4 documents x 6 variables, plus the second outcome of document 0.
    assert len(frame) == info["rowCount"] == 25
    statuses = frame["status"].value_counts().to_dict()
    assert statuses == {"OK": 16, "DOCUMENT_FAILED": 6, "NOT_FOUND": 3}
    numbers = frame.loc[frame["variable"] == "participants", "value_number"].tolist()
    assert numbers[:2] == [120, -12.5]


async def test_stata_names_are_valid_distinct_and_recorded(
    client: httpx.AsyncClient, db: Database
) -> None:
    project = await create_project(client, name="Stata names")
    long_names = [
        "number_of_participants_lost_to_follow_up_at_twelve_months",
        "number_of_participants_lost_to_follow_up_at_six_months",
        "float",  # a valid variable name, but a Stata storage type
    ]
    for order, name in enumerate(long_names, start=1):
        await create_variable(
            client, project["id"], name=name, order=order, displayName="A label " + "x" * 100
        )
    project_id = uuid.UUID(project["id"])
    metadata = [{"columns": {"registry id": "R1", "país": "Perú"}}]
    documents = await seed_documents(db, project_id, ["text"], metadata=metadata)
    await seed_job(db, project_id, documents, lambda doc, name: {"value": len(name)})

    info, download = await export(client, project["id"], format="STATA")
    codebook = json.loads((await client.get(info["codebookUrl"])).content)
    mapping = {c["name"]: c["stataName"] for c in codebook["columns"]}
    assert len(set(mapping.values())) == len(mapping)
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", n) for n in mapping.values())
    assert mapping["float"] == "float_"
    assert mapping["meta_registry id"] == "meta_registry_id"
    assert mapping["meta_país"] == "meta_pais"
    first, second = (mapping[n] for n in long_names[:2])
    assert first == "number_of_participants_lost_to_f" and second != first
    with pd.io.stata.StataReader(as_file(download)) as reader:
        frame = reader.read()
        labels = reader.variable_labels()
    assert list(frame.columns) == list(mapping.values())
    assert all(len(label) <= 80 for label in labels.values())
    assert frame[first].tolist() == [len(long_names[0])]
    assert frame["meta_pais"].tolist() == ["Perú"]
