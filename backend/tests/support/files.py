"""Real files built by the tests: PDFs with PyMuPDF, DOCX with python-docx, Parquet with pyarrow."""

import io
from pathlib import Path

import docx
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
