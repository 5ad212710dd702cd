"""Real files built by the tests: PDFs with PyMuPDF, DOCX with python-docx, Parquet with pyarrow,
workbooks with openpyxl (and OpenDocument spreadsheets as the format specifies)."""

import io
import re
import zipfile
from pathlib import Path

import docx
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pymupdf


def pdf_bytes(pages: list[str], *, encrypt: bool = False) -> bytes:
    document = pymupdf.open()
    for text in pages:
        page = document.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 770), text, fontsize=11)
    options = {}
    if encrypt:
        options = {
            "encryption": pymupdf.PDF_ENCRYPT_AES_256,
            "user_pw": "secret",
            "owner_pw": "owner",
        }
    data = document.tobytes(**options)
    document.close()
    return bytes(data)


def docx_bytes(
    paragraphs_before: list[str], table: list[list[str]], paragraphs_after: list[str]
) -> bytes:
    document = docx.Document()
    for text in paragraphs_before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    for text in paragraphs_after:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def parquet_bytes(columns: dict[str, list[object]]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def files_in_store(data_dir: Path) -> set[str]:
    root = data_dir / "files"
    if not root.exists():
        return set()
    return {p.name for p in root.glob("??/*") if p.is_file()}


def workbook_bytes(sheets: dict[str, list[list[object]]], cached: dict[str, str]) -> bytes:
    """An .xlsx written by openpyxl. openpyxl saves a formula without its result, so each
    formula cell named in `cached` ("Sheet!C5": "7") gets the cached value Excel would have
    stored with it, written into the sheet's XML as Excel writes it (<f>…</f><v>7</v>)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        for info in archive.infolist():
            parts[info.filename] = archive.read(info)
    for where, value in cached.items():
        sheet_name, cell = where.split("!")
        index = list(sheets).index(sheet_name) + 1
        part = f"xl/worksheets/sheet{index}.xml"
        xml = parts[part].decode()
        pattern = re.compile(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/?>(?:</v>)?')
        xml, count = pattern.subn(rf"\g<1><v>{value}</v>", xml)
        assert count == 1, f"no formula cell {where} in {part}"
        parts[part] = xml.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def ods_bytes(sheets: dict[str, list[str]]) -> bytes:
    """An OpenDocument spreadsheet written as the format specifies (no ODS writer is installed):
    each sheet is a list of <table:table-row> XML fragments, so a test states its cells'
    types, cached formula values and dates exactly as LibreOffice saves them."""
    tables = "".join(
        f'<table:table table:name="{name}">{"".join(rows)}</table:table>'
        for name, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        # The mimetype comes first and uncompressed, as the format requires.
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)
    return out.getvalue()
