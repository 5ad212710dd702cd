"""Files built to exhaust the parser (decompression bombs, a table of thousands of columns,
HTML that is quadratic for the standard library's parser, JSON nested past any use) are
read in the isolated children: each becomes its own FAILED outcome with the reason, the
API's memory stays flat and `/health` keeps answering (figures printed with `-s`)."""

import asyncio
import io
import zipfile

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pymupdf
from fastapi import FastAPI

from tests.hostile.conftest import MB, watching
from tests.support.factories import create_project
from tests.support.files import docx_bytes, workbook_bytes

TOO_LARGE = "too large when expanded"
TOO_SLOW = "took too long"


def pdf_bomb(inflated_mb: int) -> bytes:
    """One page whose content stream inflates to `inflated_mb` MB of text-showing operators."""
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((72, 72), "cover", fontname="helv")
    run = b"(" + b"A" * 1000 + b") Tj "
    stream = b"BT /helv 1 Tf 10 10 Td " + run * (inflated_mb * 1000) + b"ET"
    document.update_stream(page.get_contents()[0], stream, compress=True)
    data = document.tobytes(garbage=0, deflate=True)
    document.close()
    return bytes(data)


def docx_bomb(inflated_mb: int, marker: str) -> bytes:
    """A real .docx whose word/document.xml is replaced by one of `inflated_mb` MB."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(["cover"], [["a", "b"]], [])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, source.read(info))
        with target.open("word/document.xml", "w", force_zip64=True) as xml:
            xml.write(
                b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
                b'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
                + marker.encode()
            )
            chunk = b"A" * MB
            for _ in range(inflated_mb):
                xml.write(chunk)
            xml.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


async def test_pdf_decompression_bomb_fails_alone(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    # ~60 KB on the wire, 40 MB of content stream: MuPDF's text structures for it need GBs.
    bomb = pdf_bomb(40)
    assert len(bomb) < 1 * MB
    project = await create_project(hostile)
    async with watching(hostile_app, hostile) as watch:
        response = await hostile.post(
            f"/projects/{project['id']}/documents",
            files={"file": ("bomb.pdf", bomb, "application/pdf")},
        )
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["status"] == "FAILED"
    assert TOO_LARGE in document["error"], document["error"]
    watch.assert_held()


async def test_docx_bombs_at_once_are_refused_by_their_expanded_size(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    bombs = [docx_bomb(48, f"bomb {n}") for n in range(3)]
    assert all(len(b) < 1 * MB for b in bombs)
    project = await create_project(hostile)
    async with watching(hostile_app, hostile) as watch:
        responses = await asyncio.gather(
            *(
                hostile.post(
                    f"/projects/{project['id']}/documents",
                    files={"file": (f"bomb{n}.docx", bomb, "application/octet-stream")},
                )
                for n, bomb in enumerate(bombs)
            )
        )
    for response in responses:
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "FAILED"
        assert TOO_LARGE in body["error"] and "32 MB limit" in body["error"], body["error"]
    watch.assert_held()


def xlsx_bomb(inflated_mb: int) -> bytes:
    """A real .xlsx whose first sheet's XML is replaced by one of `inflated_mb` MB."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes({"S": [["text"], ["a"]]}, cached={})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as xml:
            xml.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
                b'<c r="A1" t="inlineStr"><is><t>'
            )
            chunk = b"A" * MB
            for _ in range(inflated_mb):
                xml.write(chunk)
            xml.write(b"</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


async def test_workbook_bomb_and_wide_sheet_fail_alone(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    bomb = xlsx_bomb(48)
    assert len(bomb) < 1 * MB
    wide = workbook_bytes({"Wide": [[f"c{i}" for i in range(1500)], ["x"] * 1500]}, cached={})
    project = await create_project(hostile)
    async with watching(hostile_app, hostile) as watch:
        response = await hostile.post(
            f"/projects/{project['id']}/documents",
            files=[
                ("files", ("bomb.xlsx", bomb, "application/octet-stream")),
                ("files", ("wide.xlsx", wide, "application/octet-stream")),
                ("files", ("note.txt", b"A plain note.", "text/plain")),
            ],
            data={"textColumn": "c0"},
        )
    assert response.status_code == 201, response.text
    bombed, widened, note = response.json()["files"]
    assert bombed["outcome"] == "FAILED"
    assert TOO_LARGE in bombed["error"] and "32 MB limit" in bombed["error"], bombed["error"]
    assert widened["outcome"] == "FAILED"
    assert "1,500 columns; at most 1,000" in widened["error"], widened["error"]
    assert note["status"] == "READY"
    watch.assert_held()


async def test_wide_parquet_is_refused_by_its_column_count(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    columns = {f"c{i}": ["x", "y"] for i in range(5000)}
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    project = await create_project(hostile)
    async with watching(hostile_app, hostile) as watch:
        response = await hostile.post(
            f"/projects/{project['id']}/documents",
            files={"file": ("wide.parquet", buffer.getvalue(), "application/octet-stream")},
            data={"textColumn": "c0"},
        )
    assert response.status_code == 422, response.text
    assert "5,000 columns; at most 1,000" in response.json()["detail"]
    watch.assert_held()


async def test_quadratic_html_uploaded_concurrently_is_killed_per_file(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    # 200 KB of unclosed comment openers: ~40 s for html.parser, quadratic in the length.
    pages = [f"<p>page {n}</p>".encode() + b"<!--" * 50_000 for n in range(3)]
    project = await create_project(hostile)
    async with watching(hostile_app, hostile) as watch:
        responses = await asyncio.gather(
            *(
                hostile.post(
                    f"/projects/{project['id']}/documents",
                    files={"file": (f"slow{n}.html", page, "text/html")},
                )
                for n, page in enumerate(pages)
            )
        )
        # The service is not starved: an ordinary upload goes through right after.
        fine = await hostile.post(
            f"/projects/{project['id']}/documents",
            files={"file": ("fine.txt", b"An ordinary document.", "text/plain")},
        )
    for response in responses:
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "FAILED"
        assert TOO_SLOW in response.json()["error"]
    assert fine.status_code == 201 and fine.json()["status"] == "READY"
    watch.assert_held()


async def test_deep_jsonl_fails_alone_in_a_multi_file_upload(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    deep = b'{"text": "row", "meta": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n"
    project = await create_project(hostile)
    async with watching(hostile_app, hostile) as watch:
        response = await hostile.post(
            f"/projects/{project['id']}/documents",
            files=[
                ("files", ("good.txt", b"A good document about trials.", "text/plain")),
                ("files", ("deep.jsonl", deep, "application/json")),
            ],
            data={"textColumn": "text"},
        )
    assert response.status_code == 201, response.text
    report = {f["filename"]: f for f in response.json()["files"]}
    assert report["good.txt"]["outcome"] == "CREATED"
    assert report["good.txt"]["status"] == "READY"
    assert report["deep.jsonl"]["outcome"] == "FAILED"
    assert "nested too deeply" in report["deep.jsonl"]["error"]
    listed = (await hostile.get(f"/projects/{project['id']}/documents")).json()
    assert [d["name"] for d in listed["items"]] == ["good.txt"]
    watch.assert_held()
