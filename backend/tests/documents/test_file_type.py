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

    def test_workbooks_are_tables_by_their_content(self, tmp_path: Path) -> None:
        xlsx = tmp_path / "data.bin"  # no telling name: the parts say what it is
        with zipfile.ZipFile(xlsx, "w") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
        ods = tmp_path / "data.ods"
        with zipfile.ZipFile(ods, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            archive.writestr("content.xml", "<office:document-content/>")
        for path in (xlsx, ods):
            found = detect(path)
            assert (found.content_type, found.table_kind) == (
                ContentType.SHEET_ROW,
                TableKind.SHEET,
            ), path.name

    def test_an_encrypted_workbook_is_a_clear_error(self, tmp_path: Path) -> None:
        # Office encrypts a .xlsx into a Compound File whose directory names the stream
        # "EncryptedPackage" (UTF-16LE); an encrypted .ods declares encryption in its manifest.
        xlsx = tmp_path / "secret.xlsx"
        xlsx.write_bytes(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + bytes(1024)
            + "EncryptionInfo\x00".encode("utf-16-le")
            + bytes(50)
            + "EncryptedPackage\x00".encode("utf-16-le")
            + bytes(2048)
        )
        with pytest.raises(DocumentParseError, match="password-protected"):
            detect(xlsx)
        ods = tmp_path / "secret.ods"
        with zipfile.ZipFile(ods, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            archive.writestr("content.xml", "encrypted bytes")
            archive.writestr(
                "META-INF/manifest.xml",
                '<manifest:file-entry manifest:full-path="content.xml">'
                '<manifest:encryption-data manifest:checksum-type="SHA1/1K"/>'
                "</manifest:file-entry>",
            )
        with pytest.raises(DocumentParseError, match="password-protected"):
            detect(ods)

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
