"""Document ingestion through the API, with real files, and the store kept in step with rows."""

import asyncio
import datetime as dt
import hashlib
import io
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from coderai.core.database import Database
from coderai.models import Document
from tests.support.factories import create_project
from tests.support.files import (
    docx_bytes,
    files_in_store,
    ods_bytes,
    parquet_bytes,
    pdf_bytes,
    workbook_bytes,
)


async def _stored_keys(db: Database) -> set[str]:
    async with db.sessionmaker() as session:
        return set(
            await session.scalars(
                select(Document.storage_key).where(Document.storage_key.is_not(None))
            )
        )  # type: ignore[arg-type]


async def _assert_store_matches_rows(db: Database, data_dir: Path) -> None:
    # No row without its file, no file without its row.
    assert files_in_store(data_dir) == await _stored_keys(db)


async def test_upload_pdf_single_file_contract(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    data = pdf_bytes(
        ["Page one says the trial enrolled 120 people.", "Page two: results.", "Page three."]
    )
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("trial.pdf", data, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["contentType"] == "PDF"
    assert document["status"] == "READY"
    assert document["pageCount"] == 3
    assert document["sizeBytes"] == len(data)
    assert document["sha256"] == hashlib.sha256(data).hexdigest()
    assert document["uploadedAt"]

    detail = (await client.get(f"/documents/{document['id']}")).json()
    content, offsets = detail["content"], detail["pageOffsets"]
    assert len(offsets) == 3 and offsets[0] == 0
    assert (
        content[offsets[0] : offsets[1]]
        .strip()
        .startswith("Page one says the trial enrolled 120 people.")
    )
    assert content[offsets[1] : offsets[2]].strip() == "Page two: results."
    assert content[offsets[2] :].strip() == "Page three."

    original = await client.get(f"/documents/{document['id']}/file")
    assert original.content == data
    assert "trial.pdf" in original.headers["content-disposition"]
    await _assert_store_matches_rows(db, data_dir)


async def test_same_file_twice_is_not_stored_twice(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    upload = {"file": ("a.txt", b"The same text twice.", "text/plain")}
    first = await client.post(f"/projects/{project['id']}/documents", files=upload)
    again = await client.post(f"/projects/{project['id']}/documents", files=upload)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    listing = (await client.get(f"/projects/{project['id']}/documents")).json()
    assert listing["total"] == 1
    await _assert_store_matches_rows(db, data_dir)


async def test_multi_file_upload_reports_each_file_and_bad_files_do_not_stop_others(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    word = docx_bytes(["Introduction."], [["Arm", "N"], ["A", "60"]], ["Conclusion."])
    files = [
        ("files", ("report.docx", word, "application/octet-stream")),
        ("files", ("broken.pdf", b"%PDF-1.7 this is not really a pdf", "application/pdf")),
        ("files", ("empty.txt", b"", "text/plain")),
        ("files", ("photo.pdf", b"\x89PNG\r\n\x1a\n" + bytes(200), "application/pdf")),
        (
            "files",
            (
                "notes.md",
                "# Notes\n\nCaf\u00e9 r\u00e9sum\u00e9.".encode("utf-16"),
                "text/markdown",
            ),
        ),
    ]
    response = await client.post(f"/projects/{project['id']}/documents", files=files)
    assert response.status_code == 201, response.text
    report = response.json()
    by_name = {f["filename"]: f for f in report["files"]}
    assert by_name["report.docx"]["status"] == "READY"
    assert by_name["notes.md"]["status"] == "READY"
    for bad in ("broken.pdf", "empty.txt", "photo.pdf"):
        assert by_name[bad]["status"] == "FAILED", by_name[bad]
        assert by_name[bad]["error"]
    assert report["documentsFailed"] == 3

    docx_detail = (await client.get(f"/documents/{by_name['report.docx']['documentId']}")).json()
    content = docx_detail["content"]
    assert content.index("Introduction.") < content.index("A | 60") < content.index("Conclusion.")
    md = (await client.get(f"/documents/{by_name['notes.md']['documentId']}")).json()
    assert md["contentType"] == "MD" and "Café résumé." in md["content"]

    failed = (
        await client.get(f"/projects/{project['id']}/documents", params={"status": "FAILED"})
    ).json()
    assert failed["total"] == 3
    await _assert_store_matches_rows(db, data_dir)


async def test_encrypted_pdf_fails_with_a_readable_message(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("locked.pdf", pdf_bytes(["secret"], encrypt=True), "application/pdf")},
    )
    assert response.status_code == 201
    assert response.json()["status"] == "FAILED"
    assert "encrypted" in response.json()["error"].lower()


async def test_csv_rows_become_documents_with_metadata(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    csv = (
        "id,country,body\n"
        "1,Kenya,The policy was adopted in 2021.\n"
        "2,Peru,\n"
        "3,Chile,Rejected after a vote.\n"
    )
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("policies.csv", csv.encode(), "text/csv")},
        data={"textColumn": "body", "idColumn": "id"},
    )
    assert response.status_code == 201, response.text
    result = response.json()["files"][0]
    assert (result["rowsImported"], result["rowsSkipped"]) == (2, 1)
    assert result["contentType"] == "CSV_ROW"

    items = (await client.get(f"/projects/{project['id']}/documents")).json()["items"]
    assert [d["externalId"] for d in items] == ["1", "3"]
    assert items[0]["metadata"]["columns"] == {"id": "1", "country": "Kenya"}
    detail = (await client.get(f"/documents/{items[1]['id']}")).json()
    assert detail["content"] == "Rejected after a vote."
    assert detail["rowIndex"] == 3


async def test_parquet_rows(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    data = parquet_bytes({"text": ["First speech.", "Second speech."], "year": [2020, 2021]})
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"files": ("speeches.parquet", data, "application/octet-stream")},
        data={"textColumn": "text"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["files"][0]["rowsImported"] == 2
    items = (await client.get(f"/projects/{project['id']}/documents")).json()["items"]
    assert {d["contentType"] for d in items} == {"PARQUET_ROW"}
    assert items[1]["metadata"]["columns"]["year"] == 2021


def _survey_workbook() -> bytes:
    """Two sheets; the first has a date, a date with a time, an empty row and a formula whose
    cached value (7) is what Excel stored when it saved the file."""
    return workbook_bytes(
        {
            "Answers": [
                ["id", "answer", "score", "when"],
                ["r1", "We agreed on the budget.", 3, dt.date(2024, 5, 1)],
                [None, None, None, None],
                ["r2", "  ", 1, None],
                ["r3", "The vote was postponed.", 4, dt.datetime(2024, 5, 2, 13, 30)],
                ["r4", "Totals were checked.", "=C2+C5", None],
            ],
            "Codes": [["code", "label"], ["A", "Agree"]],
        },
        cached={"Answers!C6": "7"},
    )


async def test_workbook_rows_become_documents_like_csv_rows(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("survey.xlsx", _survey_workbook(), "application/octet-stream")},
        data={"textColumn": "answer", "idColumn": "id"},
    )
    assert response.status_code == 201, response.text
    result = response.json()["files"][0]
    # The empty row is not a row; the blank answer is skipped like a blank CSV cell.
    assert (result["rowsImported"], result["rowsSkipped"]) == (3, 1)
    assert result["contentType"] == "SHEET_ROW"

    items = (await client.get(f"/projects/{project['id']}/documents")).json()["items"]
    assert [d["externalId"] for d in items] == ["r1", "r3", "r4"]
    assert [d["rowIndex"] for d in items] == [1, 3, 4]
    assert {d["contentType"] for d in items} == {"SHEET_ROW"}
    first, second, third = (d["metadata"] for d in items)
    assert first["columns"] == {"id": "r1", "score": 3, "when": "2024-05-01"}
    assert (first["sheet"], first["sheetRow"]) == ("Answers", 2)
    assert second["columns"]["when"] == "2024-05-02T13:30:00"
    assert (third["columns"]["score"], third["sheetRow"]) == (7, 6)  # the formula's cached value
    detail = (await client.get(f"/documents/{items[1]['id']}")).json()
    assert detail["content"] == "The vote was postponed."

    second_project = await create_project(client)
    codes = await client.post(
        f"/projects/{second_project['id']}/documents",
        files={"file": ("survey.xlsx", _survey_workbook(), "application/octet-stream")},
        data={"textColumn": "label", "titleColumn": "code", "sheet": "Codes"},
    )
    assert codes.status_code == 201, codes.text
    assert codes.json()["files"][0]["rowsImported"] == 1
    coded = (await client.get(f"/projects/{second_project['id']}/documents")).json()["items"]
    assert [(d["name"], d["metadata"]["sheet"]) for d in coded] == [("A", "Codes")]


async def test_an_unknown_sheet_lists_every_sheet_with_its_columns(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    before = files_in_store(data_dir)
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("survey.xlsx", _survey_workbook(), "application/octet-stream")},
        data={"textColumn": "answer", "sheet": "Answer"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["errors"][0]["field"] == "sheet"
    assert body["availableSheets"] == [
        {"name": "Answers", "availableColumns": ["id", "answer", "score", "when"]},
        {"name": "Codes", "availableColumns": ["code", "label"]},
    ]
    assert files_in_store(data_dir) == before

    files = [
        ("files", ("survey.xlsx", _survey_workbook(), "application/octet-stream")),
        ("files", ("note.txt", b"A plain note.", "text/plain")),
    ]
    batch = await client.post(
        f"/projects/{project['id']}/documents",
        files=files,
        data={"textColumn": "answer", "sheet": "Answer"},
    )
    assert batch.status_code == 201, batch.text
    sheet, note = batch.json()["files"]
    assert (sheet["outcome"], sheet["errorCode"]) == ("FAILED", "UNKNOWN_SHEET")
    assert [s["name"] for s in sheet["availableSheets"]] == ["Answers", "Codes"]
    assert note["status"] == "READY"
    assert (await client.get(f"/projects/{project['id']}/documents")).json()["total"] == 1
    await _assert_store_matches_rows(db, data_dir)


async def test_ods_rows_with_a_date_and_a_cached_formula(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    rows = [
        "<table:table-row>"
        + "".join(cell.format(n) for n in ("text", "n", "on"))
        + "</table:table-row>",
        "<table:table-row>"
        + cell.format("Minutes of May.")
        + '<table:table-cell office:value-type="float" office:value="2"><text:p>2</text:p>'
        "</table:table-cell>"
        '<table:table-cell office:value-type="date" office:date-value="2024-05-01">'
        "<text:p>01/05/2024</text:p></table:table-cell></table:table-row>",
        '<table:table-row><table:table-cell table:number-columns-repeated="3"/></table:table-row>',
        "<table:table-row>"
        + cell.format("Minutes of June.")
        + '<table:table-cell table:formula="of:=[.B2]*3" office:value-type="float"'
        ' office:value="6"><text:p>6</text:p></table:table-cell></table:table-row>',
    ]
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("minutes.ods", ods_bytes({"Minutes": rows}), "application/octet-stream")},
        data={"textColumn": "text"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["files"][0]["rowsImported"] == 2
    items = (await client.get(f"/projects/{project['id']}/documents")).json()["items"]
    assert [d["metadata"]["columns"] for d in items] == [
        {"n": 2, "on": "2024-05-01"},
        {"n": 6, "on": None},
    ]


async def test_an_encrypted_workbook_is_a_clear_failure(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    # An encrypted OpenDocument spreadsheet: its manifest declares the content encrypted.
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", b"\x8f\x02 ciphertext")
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:file-entry manifest:full-path="content.xml">'
            '<manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>',
        )
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"files": ("locked.ods", data.getvalue(), "application/octet-stream")},
        data={"textColumn": "text"},
    )
    assert response.status_code == 201, response.text
    result = response.json()["files"][0]
    assert result["errorCode"] == "UNREADABLE"
    assert "password-protected" in result["error"]


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"textColumn": "text_body"}, 422, "textColumn"),
        ({}, 422, "textColumn"),
    ],
    ids=["unknown column", "table without text column"],
)
async def test_table_column_problems_list_available_columns_and_write_nothing(
    client: httpx.AsyncClient,
    db: Database,
    data_dir: Path,
    data: dict[str, str],
    status: int,
    field: str,
) -> None:
    project = await create_project(client)
    before = files_in_store(data_dir)
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("t.csv", b"id,body\n1,hello there\n", "text/csv")},
        data=data,
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["availableColumns"] == ["id", "body"]
    assert body["errors"][0]["field"] == field
    assert files_in_store(data_dir) == before
    assert (await client.get(f"/projects/{project['id']}/documents")).json()["total"] == 0


async def test_file_over_the_limit_is_413_and_not_stored(
    client: httpx.AsyncClient, db: Database, data_dir: Path, settings: object
) -> None:
    project = await create_project(client)
    limit = settings.max_upload_bytes  # type: ignore[attr-defined]
    before = files_in_store(data_dir)
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("big.txt", b"a " * (limit // 2 + 1), "text/plain")},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert files_in_store(data_dir) == before
    assert not list((data_dir / "files" / "incoming").glob("*"))


async def test_upload_problems(client: httpx.AsyncClient, data_dir: Path) -> None:
    unknown = str(uuid.uuid4())
    before = files_in_store(data_dir)
    response = await client.post(
        f"/projects/{unknown}/documents", files={"file": ("a.txt", b"hello", "text/plain")}
    )
    assert response.status_code == 404
    assert files_in_store(data_dir) == before
    project = await create_project(client)
    no_file = await client.post(f"/projects/{project['id']}/documents", data={"textColumn": "x"})
    assert no_file.status_code == 422
    assert (await client.get(f"/documents/{unknown}")).status_code == 404


async def test_delete_document_removes_unshared_original(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    first = await create_project(client)
    second = await create_project(client, name="Other")
    upload = {"file": ("shared.txt", b"Shared between two projects.", "text/plain")}
    a = (await client.post(f"/projects/{first['id']}/documents", files=upload)).json()
    b = (await client.post(f"/projects/{second['id']}/documents", files=upload)).json()
    assert (await client.delete(f"/documents/{a['id']}")).status_code == 204
    assert a["sha256"] in files_in_store(data_dir)  # still used by the other project
    assert (await client.delete(f"/documents/{b['id']}")).status_code == 204
    assert a["sha256"] not in files_in_store(data_dir)
    await _assert_store_matches_rows(db, data_dir)
    project = (await client.get(f"/projects/{first['id']}")).json()
    assert project["documentCount"] == 0


async def test_table_without_text_column_in_a_batch_fails_alone(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    files = [
        ("files", ("t.csv", b"id,body\n1,hello there\n", "text/csv")),
        ("files", ("note.txt", b"A plain note.", "text/plain")),
    ]
    response = await client.post(f"/projects/{project['id']}/documents", files=files)
    assert response.status_code == 201, response.text
    table, note = response.json()["files"]
    assert (table["outcome"], table["errorCode"]) == ("FAILED", "TEXT_COLUMN_REQUIRED")
    assert table["availableColumns"] == ["id", "body"]
    assert note["status"] == "READY"
    assert (await client.get(f"/projects/{project['id']}/documents")).json()["total"] == 1
    await _assert_store_matches_rows(db, data_dir)


async def test_very_long_names_and_identifiers_are_kept_to_the_column_size(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    long_id = "x" * 2000
    files = [
        ("files", ("n" * 1500 + ".txt", b"A note with a long file name.", "text/plain")),
        ("files", ("t.csv", f"id,body\n{long_id},hello there\n".encode(), "text/csv")),
    ]
    response = await client.post(
        f"/projects/{project['id']}/documents",
        files=files,
        data={"textColumn": "body", "idColumn": "id"},
    )
    assert response.status_code == 201, response.text
    assert [f["outcome"] for f in response.json()["files"]] == ["CREATED", "CREATED"]
    listing = (await client.get(f"/projects/{project['id']}/documents")).json()
    assert sorted(len(d["name"]) for d in listing["items"]) == [1024, 1024]
    await _assert_store_matches_rows(db, data_dir)


async def test_a_table_without_any_text_fails_and_keeps_no_file(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    files = [
        ("files", ("header-only.csv", b"id,body\n", "text/csv")),
        ("files", ("blank.csv", b"id,body\n1,   \n2,\n", "text/csv")),
    ]
    response = await client.post(
        f"/projects/{project['id']}/documents", files=files, data={"textColumn": "body"}
    )
    assert response.status_code == 201, response.text
    results = response.json()["files"]
    assert [(r["outcome"], r["errorCode"]) for r in results] == [("FAILED", "NO_ROWS")] * 2
    assert results[1]["rowsSkipped"] == 2
    await _assert_store_matches_rows(db, data_dir)
    assert files_in_store(data_dir) == set()


async def test_deleting_a_project_removes_the_originals_only_it_used(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    doomed = await create_project(client)
    kept = await create_project(client, name="Kept")
    shared = {"file": ("shared.txt", b"Shared between two projects.", "text/plain")}
    own = {"file": ("own.txt", b"Only in the deleted project.", "text/plain")}
    await client.post(f"/projects/{doomed['id']}/documents", files=shared)
    await client.post(f"/projects/{kept['id']}/documents", files=shared)
    mine = (await client.post(f"/projects/{doomed['id']}/documents", files=own)).json()
    assert (await client.delete(f"/projects/{doomed['id']}")).status_code == 204
    assert mine["sha256"] not in files_in_store(data_dir)
    assert len(files_in_store(data_dir)) == 1  # the shared original stays for the other
    await _assert_store_matches_rows(db, data_dir)


async def test_the_same_file_uploaded_at_once_is_stored_once(
    client: httpx.AsyncClient, db: Database, data_dir: Path
) -> None:
    project = await create_project(client)
    upload = {"file": ("same.txt", b"One file, sent six times at once.", "text/plain")}
    responses = await asyncio.gather(
        *(client.post(f"/projects/{project['id']}/documents", files=upload) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201], [
        r.text for r in responses
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    await _assert_store_matches_rows(db, data_dir)


async def test_the_document_list_is_searched_by_name_or_external_id(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client)
    csv = "id,body\nR-17,First answer.\nR-2,Second answer.\n50%_off,Third answer.\n"
    upload = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("survey.csv", csv.encode(), "text/csv")},
        data={"textColumn": "body", "idColumn": "id"},
    )
    assert upload.status_code == 201, upload.text
    minutes = await client.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("Council minutes 2020.txt", b"The council met.", "text/plain")},
    )
    assert minutes.status_code == 201, minutes.text

    async def found(search: str) -> list[str]:
        page = (
            await client.get(f"/projects/{project['id']}/documents", params={"search": search})
        ).json()
        assert page["total"] == len(page["items"])
        return sorted(d["externalId"] or d["name"] for d in page["items"])

    assert await found("r-1") == ["R-17"]
    assert await found("R-") == ["R-17", "R-2"]
    assert await found("%") == ["50%_off"]  # a literal percent sign, not a wildcard
    assert await found("MINUTES") == ["Council minutes 2020.txt"]  # by name, any case
    assert await found("nothing") == []
    too_long = await client.get(
        f"/projects/{project['id']}/documents", params={"search": "x" * 201}
    )
    assert too_long.status_code == 422
