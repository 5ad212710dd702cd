"""File-type detection without a database: every test writes real bytes in tmp_path."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from coderai.documents.file_type import TableKind, detect
from coderai.documents.parsers import DocumentParseError
from coderai.models.enums import ContentType


class TestDetection:
    def test_zero_byte_file(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.txt"
        path.write_bytes(b"")
        with pytest.raises(DocumentParseError, match="empty"):
            detect(path)

    def test_png_named_pdf(self, tmp_path: Path) -> None:
        path = tmp_path / "scan.pdf"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
        with pytest.raises(DocumentParseError, match=r"PNG image.*OCR"):
            detect(path)

    def test_random_binary_named_pdf(self, tmp_path: Path) -> None:
        path = tmp_path / "report.pdf"
        path.write_bytes(random.Random(7).randbytes(5000))
        with pytest.raises(DocumentParseError, match="binary data"):
            detect(path)

    def test_html_error_page_named_pdf(self, tmp_path: Path) -> None:
        path = tmp_path / "paper.pdf"
        path.write_text("<!DOCTYPE html><html><body>403 Forbidden</body></html>")
        with pytest.raises(
            DocumentParseError, match=r"named like a PDF \(\.pdf\) but contains an HTML page"
        ):
            detect(path)

    def test_excel_workbook_is_explained(self, tmp_path: Path) -> None:
        path = tmp_path / "data.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
        with pytest.raises(DocumentParseError, match="Excel workbook; save the sheet as CSV"):
            detect(path)

    def test_extension_breaks_ties_between_text_kinds(self, tmp_path: Path) -> None:
        prose = "Dear committee, thank you.\nWe met, as agreed, on Monday.\nBest, Ana\n"
        table = "id,name,score\n1,Ana,3\n2,Ben,4\n3,Cy,5\n"
        cases = [
            (prose, "letter.txt", ContentType.TXT, None),
            (prose, "letter.csv", ContentType.CSV_ROW, TableKind.CSV),
            (table, "scores.txt", ContentType.TXT, None),
            (table, "scores", ContentType.CSV_ROW, TableKind.CSV),
            (table.replace(",", "\t"), "scores.csv", ContentType.CSV_ROW, TableKind.TSV),
            (table.replace(",", "\t"), "scores", ContentType.CSV_ROW, TableKind.TSV),
            ('[{"text": "a"}]', "rows.txt", ContentType.JSON_ROW, TableKind.JSON),
            ('{"text": "a"}\n{"text": "b"}\n', "rows", ContentType.JSON_ROW, TableKind.JSONL),
        ]
        for content, name, content_type, kind in cases:
            path = tmp_path / name
            path.write_text(content)
            found = detect(path)
            assert (found.content_type, found.table_kind) == (content_type, kind), name

    def test_json_that_is_not_records(self, tmp_path: Path) -> None:
        path = tmp_path / "config.json"
        path.write_text('{\n  "a": 1\n}\n')
        with pytest.raises(DocumentParseError, match="not a list of records"):
            detect(path)
