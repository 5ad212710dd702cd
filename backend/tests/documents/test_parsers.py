"""Ingestion without a database: every test builds a real file in tmp_path and reads it back."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import docx
import pyarrow as pa
import pyarrow.parquet as pq
import pymupdf
import pytest
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from coderai.documents import table_rows
from coderai.documents.file_type import TableKind, detect, detect_content_type
from coderai.documents.parsers import DocumentParseError, parse_document
from coderai.documents.table_rows import (
    TableBatch,
    UnknownColumnError,
    inspect_table,
    iter_table_rows,
)
from coderai.models.enums import ContentType

PAGES = [
    "Minutes of the council meeting.\nThe council approved the budget.",
    "Second page: the motion on housing failed 4 to 5.",
    "Third page closes the session at 21:40.",
]


def write_pdf(path: Path, pages: list[str], **save_options: object) -> Path:
    doc = pymupdf.open()  # type: ignore[no-untyped-call]
    for content in pages:
        page = doc.new_page()
        page.insert_text((72, 72), content)
    doc.save(path, **save_options)  # type: ignore[no-untyped-call]
    doc.close()  # type: ignore[no-untyped-call]
    return path


def rows_of(batches: list[TableBatch]) -> list[table_rows.TableRow]:
    return [row for batch in batches for row in batch.rows]


# ------------------------------------------------------------------------------------------ PDF


class TestPdf:
    def test_pages_text_and_offsets_are_exact(self, tmp_path: Path) -> None:
        path = write_pdf(tmp_path / "minutes.pdf", PAGES)

        parsed = parse_document(path, detect_content_type(path))

        assert parsed.text == "\n\n".join(PAGES)
        assert parsed.page_count == 3
        assert parsed.page_offsets == [0, len(PAGES[0]) + 2, len(PAGES[0]) + len(PAGES[1]) + 4]
        for offset, page in zip(parsed.page_offsets, PAGES, strict=True):
            assert parsed.text[offset : offset + len(page)] == page
        assert parsed.word_count == sum(len(page.split()) for page in PAGES)

    def test_content_wins_over_a_misleading_name(self, tmp_path: Path) -> None:
        path = write_pdf(tmp_path / "upload.bin", PAGES[:1])
        assert detect_content_type(path, "notes.txt") is ContentType.PDF

    def test_user_password_is_refused(self, tmp_path: Path) -> None:
        path = write_pdf(
            tmp_path / "locked.pdf",
            PAGES,
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]
            user_pw="secret",
            owner_pw="owner",
        )
        with pytest.raises(DocumentParseError, match="PDF is encrypted"):
            parse_document(path, ContentType.PDF)

    def test_owner_password_only_still_reads(self, tmp_path: Path) -> None:
        path = write_pdf(
            tmp_path / "restricted.pdf",
            PAGES[:1],
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]
            owner_pw="owner",
        )
        assert parse_document(path, ContentType.PDF).text == PAGES[0]

    def test_page_without_text_is_reported_as_scanned(self, tmp_path: Path) -> None:
        doc = pymupdf.open()  # type: ignore[no-untyped-call]
        box = pymupdf.Rect(50, 50, 300, 300)  # type: ignore[no-untyped-call]
        doc.new_page().draw_rect(box, color=(0, 0, 0), fill=(0.5, 0, 0))
        doc.save(tmp_path / "scan.pdf")  # type: ignore[no-untyped-call]
        with pytest.raises(DocumentParseError, match=r"no text layer \(scanned PDF\?\)"):
            parse_document(tmp_path / "scan.pdf", ContentType.PDF)

    def test_blank_pages_are_counted_in_metadata(self, tmp_path: Path) -> None:
        path = write_pdf(tmp_path / "gap.pdf", [PAGES[0], "", PAGES[2]])
        parsed = parse_document(path, ContentType.PDF)
        assert parsed.metadata["pages_without_text"] == 1
        assert parsed.page_count == 3
        assert parsed.text[parsed.page_offsets[2] :] == PAGES[2]

    def test_corrupt_pdf_gives_a_readable_error(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.pdf"
        path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF")
        assert detect_content_type(path) is ContentType.PDF
        with pytest.raises(DocumentParseError, match="damaged"):
            parse_document(path, ContentType.PDF)

    def test_parallel_threads_parse_consistently(self, tmp_path: Path) -> None:
        # Parsing runs in a thread pool; PyMuPDF itself is not thread-safe.
        paths = [write_pdf(tmp_path / f"{i}.pdf", PAGES) for i in range(6)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            texts = list(pool.map(lambda p: parse_document(p, ContentType.PDF).text, paths * 3))
        assert set(texts) == {"\n\n".join(PAGES)}


# ----------------------------------------------------------------------------------------- DOCX


class TestDocx:
    def test_tables_stay_where_they_are(self, tmp_path: Path) -> None:
        document = docx.Document()
        document.core_properties.title = "Annual report"
        document.add_paragraph("Before the table.")
        table = document.add_table(rows=2, cols=3)
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                cell.text = f"r{r}c{c}"
        document.add_paragraph("")  # spacer paragraphs are dropped
        document.add_paragraph("After the table.")
        merged = document.add_table(rows=1, cols=3)
        merged.cell(0, 0).merge(merged.cell(0, 1)).text = "wide"
        merged.cell(0, 2).text = "narrow"
        path = tmp_path / "report.docx"
        document.save(str(path))

        assert detect(path).content_type is ContentType.DOCX
        parsed = parse_document(path, ContentType.DOCX)

        assert parsed.text == (
            "Before the table.\n\n"
            "r0c0 | r0c1 | r0c2\nr1c0 | r1c1 | r1c2\n\n"
            "After the table.\n\n"
            "wide | narrow"
        )
        assert parsed.page_offsets == [0]
        assert parsed.metadata["tables"] == 2
        assert parsed.metadata["title"] == "Annual report"

    def test_content_controls_are_read_in_place(self, tmp_path: Path) -> None:
        document = docx.Document()
        document.add_paragraph("First.")
        document.add_paragraph("Last.")
        control = parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Inside a control.</w:t>"
            "</w:r></w:p></w:sdtContent></w:sdt>"
        )
        body = document.element.body
        body.insert(1, control)
        document.save(str(tmp_path / "form.docx"))
        text = parse_document(tmp_path / "form.docx", ContentType.DOCX).text
        assert text == "First.\n\nInside a control.\n\nLast."

    def test_tracked_changes_read_as_accepted(self, tmp_path: Path) -> None:
        document = docx.Document()
        paragraph = parse_xml(
            f"<w:p {nsdecls('w', 'r')}>"
            "<w:pPr><w:tabs><w:tab w:val='left' w:pos='720'/></w:tabs></w:pPr>"
            "<w:r><w:t xml:space='preserve'>The fine is </w:t></w:r>"
            "<w:del w:id='1' w:author='a'><w:r><w:delText>100</w:delText></w:r></w:del>"
            "<w:ins w:id='2' w:author='a'><w:r><w:t>200</w:t></w:r></w:ins>"
            "<w:r><w:tab/><w:t>euros, see </w:t></w:r>"
            "<w:hyperlink r:id='rId99'><w:r><w:t>the decree</w:t></w:r></w:hyperlink>"
            "<w:r><w:br/><w:t>Next line.</w:t></w:r></w:p>"
        )
        document.element.body.insert(0, paragraph)
        document.save(str(tmp_path / "tracked.docx"))
        text = parse_document(tmp_path / "tracked.docx", ContentType.DOCX).text
        assert text == "The fine is 200\teuros, see the decree\nNext line."

    def test_headers_text_boxes_footnotes_and_footers_in_reading_order(
        self, tmp_path: Path
    ) -> None:
        document = docx.Document()
        section = document.sections[0]
        section.header.paragraphs[0].text = "Court of Appeal - Case 12/2024"
        section.footer.paragraphs[0].text = "Page footer: confidential"
        document.add_paragraph("The appeal is dismissed.")
        # A text box as Word writes it: the drawing, and a VML copy for older readers.
        box = (
            "<w:txbxContent><w:p><w:r><w:t>Box: costs of 3,000 euros.</w:t></w:r></w:p>"
            "</w:txbxContent>"
        )
        anchored = parse_xml(
            f"<w:p {nsdecls('w')}"
            ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
            ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
            ' xmlns:v="urn:schemas-microsoft-com:vml">'
            "<w:r><w:t>The court notes:</w:t></w:r>"
            "<w:r><mc:AlternateContent><mc:Choice Requires='wps'><w:drawing><wps:wsp>"
            f"<wps:txbx>{box}</wps:txbx></wps:wsp></w:drawing></mc:Choice>"
            f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict>"
            "</mc:Fallback></mc:AlternateContent></w:r>"
            "<w:r><w:footnoteReference w:id='1'/></w:r></w:p>"
        )
        document.element.body.insert(1, anchored)
        document.add_paragraph("Costs follow the event.")
        # python-docx writes no footnotes: the part is added as Word stores it, with the
        # separator "notes" that are not text.
        footnotes = (
            f"<w:footnotes {nsdecls('w')}>"
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
            "</w:footnote>"
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
            "<w:continuationSeparator/></w:r></w:p></w:footnote>"
            '<w:footnote w:id="1"><w:p><w:r><w:t>See the ruling of 3 May.</w:t></w:r></w:p>'
            "</w:footnote></w:footnotes>"
        )
        part = Part(
            PackURI("/word/footnotes.xml"),
            CT.WML_FOOTNOTES,
            footnotes.encode(),
            document.part.package,
        )
        document.part.relate_to(part, RT.FOOTNOTES)
        path = tmp_path / "ruling.docx"
        document.save(str(path))

        assert parse_document(path, ContentType.DOCX).text == (
            "Court of Appeal - Case 12/2024\n\n"
            "The appeal is dismissed.\n\n"
            "The court notes:\n\n"
            "Box: costs of 3,000 euros.\n\n"
            "Costs follow the event.\n\n"
            "See the ruling of 3 May.\n\n"
            "Page footer: confidential"
        )

    def test_damaged_docx(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.docx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("word/document.xml", "<not-xml")
        assert detect_content_type(path) is ContentType.DOCX
        with pytest.raises(DocumentParseError, match="Word file could not be opened"):
            parse_document(path, ContentType.DOCX)

    def test_empty_docx(self, tmp_path: Path) -> None:
        docx.Document().save(str(tmp_path / "empty.docx"))
        with pytest.raises(DocumentParseError, match="contains no text"):
            parse_document(tmp_path / "empty.docx", ContentType.DOCX)


# ----------------------------------------------------------------------------------- Text, HTML


class TestText:
    def test_utf16_with_bom(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.txt"
        path.write_bytes("Café naïve 日本\r\nsecond line\rthird".encode("utf-16"))
        assert detect_content_type(path) is ContentType.TXT
        parsed = parse_document(path, ContentType.TXT)
        assert parsed.text == "Café naïve 日本\nsecond line\nthird"
        assert parsed.metadata == {"encoding": "utf-16"}

    def test_a_form_feed_starts_a_new_page(self, tmp_path: Path) -> None:
        path = tmp_path / "transcript.txt"
        path.write_bytes(b"Page one text.\r\n\x0cPage two text.\n\x0c\x0cPage four.\n\x0c\n")
        assert detect(path).content_type is ContentType.TXT
        parsed = parse_document(path, ContentType.TXT)
        # Each page starts where its offset says; a blank page counts; a final form feed opens
        # no page.
        assert parsed.page_count == 4
        starts = [parsed.text[offset:].split("\n", 1)[0] for offset in parsed.page_offsets]
        assert starts == ["Page one text.", "Page two text.", "", "Page four."]
        assert "\f" not in parsed.text
        assert parsed.word_count == 8

    def test_utf8_bom_is_dropped(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.txt"
        path.write_bytes("\ufeffStraße".encode())
        assert parse_document(path, ContentType.TXT).text == "Straße"

    def test_cp1252_fallback(self, tmp_path: Path) -> None:
        path = tmp_path / "legacy.txt"
        path.write_bytes("“Smart quotes” \u2013 café costs €5".encode("cp1252"))
        assert detect_content_type(path) is ContentType.TXT
        parsed = parse_document(path, ContentType.TXT)
        assert parsed.text == "“Smart quotes” \u2013 café costs €5"
        assert parsed.metadata["encoding"] == "cp1252"

    def test_latin1_for_bytes_cp1252_leaves_undefined(self, tmp_path: Path) -> None:
        path = tmp_path / "odd.txt"
        path.write_bytes(b"caf\xe9 \x81")
        parsed = parse_document(path, ContentType.TXT)
        assert parsed.text == "café \x81"
        assert parsed.metadata["encoding"] == "latin-1"

    def test_markdown_by_extension_or_by_content(self, tmp_path: Path) -> None:
        body = "# Findings\n\n- first point\n- second point\n\nSee [the law](https://x.org).\n"
        for name, expected in [
            ("a.md", ContentType.MD),
            ("a.txt", ContentType.TXT),
            ("upload", ContentType.MD),
        ]:
            path = tmp_path / name
            path.write_text(body)
            assert detect_content_type(path) is expected, name
        parsed = parse_document(tmp_path / "a.md", ContentType.MD)
        assert parsed.text == body
        assert parsed.word_count == 11

    def test_whitespace_only_text(self, tmp_path: Path) -> None:
        (tmp_path / "blank.txt").write_text(" \n\t\n")
        with pytest.raises(DocumentParseError, match="contains no text"):
            parse_document(tmp_path / "blank.txt", ContentType.TXT)


class TestHtml:
    def test_readable_text_only(self, tmp_path: Path) -> None:
        path = tmp_path / "page.html"
        path.write_text(
            "<!DOCTYPE html><html><head><title>Ruling  42</title>"
            "<style>p { color: red }</style><script>var secret = 1;</script></head>"
            "<body><nav>Home</nav><h1>The ruling</h1>"
            "<p>The court &amp; the   parties\n agreed.<br>New line.</p>"
            "<ul><li>one</li><li>two</li></ul>"
            "<table><tr><th>Name</th><th>Vote</th></tr><tr><td>Ada</td><td>yes</td></tr></table>"
            "<script>track()</script><noscript>Enable JS</noscript><div>End.</div></body></html>"
        )
        assert detect_content_type(path, "page.htm") is ContentType.HTML
        parsed = parse_document(path, ContentType.HTML)
        assert parsed.text == (
            "Home\n\nThe ruling\n\nThe court & the parties agreed.\nNew line.\n\n"
            "one\ntwo\n\nName | Vote\nAda | yes\n\nEnd."
        )
        assert parsed.metadata == {"encoding": "utf-8", "title": "Ruling 42"}

    def test_meta_charset_is_honoured(self, tmp_path: Path) -> None:
        path = tmp_path / "old.html"
        path.write_bytes(
            b'<html><head><meta charset="windows-1252"></head><body>na\xefve \x80</body></html>'
        )
        assert parse_document(path, ContentType.HTML).text == "naïve €"

    @pytest.mark.parametrize("charset", ["hex", "zlib", "rot13", "utf-16"])
    def test_a_meta_charset_that_cannot_be_right_is_ignored(
        self, tmp_path: Path, charset: str
    ) -> None:
        path = tmp_path / "odd.html"
        path.write_bytes(f'<meta charset="{charset}"><p>Plain text.</p>'.encode())
        assert parse_document(path, ContentType.HTML).text == "Plain text."

    def test_html_without_extension_is_sniffed(self, tmp_path: Path) -> None:
        path = tmp_path / "download"
        path.write_text("<div>Hello <b>there</b></div>")
        assert detect_content_type(path) is ContentType.HTML


# ----------------------------------------------------------------------------------- Refusals


class TestRefusals:
    def test_zero_byte_file(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.txt"
        path.write_bytes(b"")
        with pytest.raises(DocumentParseError, match="empty"):
            parse_document(path, ContentType.TXT)

    def test_row_types_are_not_parsed_as_one_document(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.csv"
        path.write_text("text\nhello\n")
        with pytest.raises(ValueError, match="table_rows"):
            parse_document(path, ContentType.CSV_ROW)


# ---------------------------------------------------------------------------------- Table rows


class TestTableRows:
    def test_parquet_rows_with_json_safe_metadata(self, tmp_path: Path) -> None:
        table = pa.table(
            {
                "id": pa.array([1, 2, 3, 4]),
                "body": ["First text", "   ", None, "Fourth\r\ntext"],
                "score": [0.5, float("nan"), 1.0, float("inf")],
                "when": pa.array(
                    [datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)] * 4, pa.timestamp("us", tz="UTC")
                ),
                "price": pa.array([Decimal("1.25")] * 4, pa.decimal128(6, 2)),
                "tags": [["a", "b"], [], None, ["c"]],
                "party": pa.array(["x", "y", "x", "y"]).dictionary_encode(),
            }
        )
        path = tmp_path / "rows.parquet"
        pq.write_table(table, path)

        assert detect(path).table_kind is TableKind.PARQUET
        assert inspect_table(path, TableKind.PARQUET) == table.column_names
        batches = list(iter_table_rows(path, TableKind.PARQUET, "body", id_column="id"))

        rows = rows_of(batches)
        assert sum(batch.skipped for batch in batches) == 2
        assert [(row.row_number, row.text, row.external_id) for row in rows] == [
            (1, "First text", "1"),
            (4, "Fourth\ntext", "4"),
        ]
        assert rows[0].metadata == {
            "id": 1,
            "score": 0.5,
            "when": "2024-01-02T03:04:05+00:00",
            "price": 1.25,
            "tags": ["a", "b"],
            "party": "x",
        }
        assert rows[1].metadata["score"] is None  # infinity has no JSON form
        json.dumps([row.metadata for row in rows], allow_nan=False)

    def test_truncated_parquet(self, tmp_path: Path) -> None:
        path = tmp_path / "cut.parquet"
        pq.write_table(pa.table({"text": ["a"] * 100}), path)
        path.write_bytes(path.read_bytes()[:-10])
        with pytest.raises(DocumentParseError, match="Parquet"):
            detect(path)

    def test_csv_unknown_column_lists_the_available_ones(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.csv"
        path.write_text("case_id,opinion,year\n1,Text,2020\n")
        with pytest.raises(UnknownColumnError) as caught:
            iter_table_rows(path, TableKind.CSV, "text")
        assert caught.value.column == "text"
        assert caught.value.available == ["case_id", "opinion", "year"]
        assert "'case_id', 'opinion', 'year'" in str(caught.value)
        with pytest.raises(UnknownColumnError):
            iter_table_rows(path, TableKind.CSV, "opinion", title_column="name")

    def test_csv_cells_keep_their_exact_text(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.csv"
        path.write_bytes(
            "\ufeffzip;text;note\r\n"
            '00123;"Line one;\nline two";\r\n'
            "00456;;skipped\r\n"
            '00789;"Said ""no""";NA\r\n'.encode()
        )
        assert detect(path).table_kind is TableKind.CSV
        assert inspect_table(path, TableKind.CSV) == ["zip", "text", "note"]
        batches = list(iter_table_rows(path, TableKind.CSV, "text", title_column="zip"))
        rows = rows_of(batches)
        assert [(row.row_number, row.title, row.text, row.metadata) for row in rows] == [
            (1, "00123", "Line one;\nline two", {"zip": "00123", "note": None}),
            (3, "00789", 'Said "no"', {"zip": "00789", "note": "NA"}),
        ]
        assert sum(batch.skipped for batch in batches) == 1

    def test_cp1252_tsv(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.tsv"
        path.write_bytes("name\ttext\nJosé\tcafé €5\n".encode("cp1252"))
        rows = rows_of(list(iter_table_rows(path, TableKind.TSV, "text")))
        assert [(row.text, row.metadata) for row in rows] == [("café €5", {"name": "José"})]

    def test_utf16_tsv_as_excel_exports_it(self, tmp_path: Path) -> None:
        path = tmp_path / "export.tsv"
        path.write_bytes("name\ttext\r\nZoë\tSí, señor\r\n".encode("utf-16"))
        assert detect(path).table_kind is TableKind.TSV
        rows = rows_of(list(iter_table_rows(path, TableKind.TSV, "text")))
        assert [(row.text, row.metadata) for row in rows] == [("Sí, señor", {"name": "Zoë"})]

    def test_utf16_csv_without_a_byte_order_mark(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.csv"
        path.write_bytes("id,text\n1,café au lait\n".encode("utf-16-le"))
        (batch,) = list(iter_table_rows(path, TableKind.CSV, "text"))
        assert [row.text for row in batch.rows] == ["café au lait"]

    def test_only_the_text_column(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.csv"
        path.write_text("text\nalpha\n\nbeta\n")
        rows = rows_of(list(iter_table_rows(path, TableKind.CSV, "text")))
        assert [(row.text, row.metadata) for row in rows] == [("alpha", {}), ("beta", {})]

    def test_batches_are_bounded_and_account_for_every_row(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.jsonl"
        records = [{"text": "" if i % 3 == 0 else f"row {i}", "n": i} for i in range(10)]
        path.write_text("\n".join(json.dumps(r) for r in records))
        batches = list(iter_table_rows(path, TableKind.JSONL, "text", batch_size=2))
        assert all(len(batch.rows) <= 2 for batch in batches)
        assert len(rows_of(batches)) + sum(batch.skipped for batch in batches) == 10
        assert [row.metadata["n"] for row in rows_of(batches)] == [1, 2, 4, 5, 7, 8]

    def test_jsonl_rows(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.jsonl"
        path.write_text(
            '{"id": "a", "text": "Fi\\u0000rst", "score": NaN, "extra": {"k": ["x\\u0000"]}}\n'
            "\n"
            '{"id": "b", "text": "  "}\n'
            '{"id": "c", "text": 42, "late": true}\n'
        )
        assert inspect_table(path, TableKind.JSONL) == ["id", "text", "score", "extra", "late"]
        batches = list(iter_table_rows(path, TableKind.JSONL, "text", id_column="id"))
        rows = rows_of(batches)
        assert [(row.row_number, row.external_id, row.text) for row in rows] == [
            (1, "a", "First"),
            (3, "c", "42"),
        ]
        # NaN has no JSON form and PostgreSQL cannot store NUL characters
        assert rows[0].metadata == {"id": "a", "score": None, "extra": {"k": ["x"]}}
        assert sum(batch.skipped for batch in batches) == 1

    def test_json_array_with_a_number_python_will_not_read(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.json"
        path.write_text('[{"text": "ok", "n": ' + "9" * 5000 + "}]")
        with pytest.raises(DocumentParseError, match="Record 1 of the JSON array cannot be read"):
            list(iter_table_rows(path, TableKind.JSON, "text"))

    def test_jsonl_bad_line(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.jsonl"
        path.write_text('{"text": "ok"}\n{"text": oops}\n')
        with pytest.raises(DocumentParseError, match="Line 2 is not valid JSON"):
            list(iter_table_rows(path, TableKind.JSONL, "text"))

    @pytest.mark.parametrize("read_chunk", [1, 7, 1 << 20])
    def test_json_array_streams_across_buffer_edges(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_chunk: int
    ) -> None:
        monkeypatch.setattr(table_rows, "_READ_CHUNK", read_chunk)
        records = [
            {"text": f"Ruling {i} ", "judge": {"name": "Ó Brien", "votes": [i, -1.5e3]}}
            for i in range(60)
        ]
        records[10]["text"] = ""
        path = tmp_path / "rows.json"
        path.write_text(json.dumps(records, indent=2, ensure_ascii=False))
        batches = list(iter_table_rows(path, TableKind.JSON, "text", batch_size=25))
        rows = rows_of(batches)
        assert len(rows) == 59
        assert sum(batch.skipped for batch in batches) == 1
        assert rows[-1].text == "Ruling 59"
        assert rows[-1].metadata == {"judge": {"name": "Ó Brien", "votes": [59, -1500.0]}}

    def test_json_array_errors(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.json"
        path.write_text('[{"text": "a"}, {"text": "b"')
        with pytest.raises(DocumentParseError, match="Record 2 of the JSON array is not valid"):
            list(iter_table_rows(path, TableKind.JSON, "text"))
        path.write_text('[{"text": "a"}, "b"]')
        with pytest.raises(DocumentParseError, match="Element 2 of the JSON array is not an"):
            list(iter_table_rows(path, TableKind.JSON, "text"))

    def test_100k_csv_rows_stream_quickly(self, tmp_path: Path) -> None:
        path = tmp_path / "big.csv"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "text", "year", "court"])
        for i in range(100_000):
            year = "unknown" if i == 99_999 else str(1990 + i % 30)  # a late non-number
            writer.writerow(
                [f"{i:06d}", f"Opinion {i}, with a comma." if i % 10 else "", year, "X"]
            )
        path.write_text(buffer.getvalue())

        started = time.perf_counter()
        batches = list(iter_table_rows(path, TableKind.CSV, "text", id_column="id"))
        elapsed = time.perf_counter() - started

        kept = sum(len(batch.rows) for batch in batches)
        assert kept == 90_000
        assert sum(batch.skipped for batch in batches) == 10_000
        assert max(len(batch.rows) for batch in batches) == 2000
        assert rows_of(batches)[-1].metadata == {"id": "099999", "year": "unknown", "court": "X"}
        assert elapsed < 5, f"{elapsed:.2f} s"
