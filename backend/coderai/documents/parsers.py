"""Parse one uploaded document (PDF, Word .docx, text, Markdown, HTML) into normalised text.

Its type comes first from `coderai.services.file_type.detect`. Parsing is synchronous and
CPU-bound, so callers run it in a worker thread (`anyio.to_thread.run_sync`). Tabular files
(CSV, TSV, JSON, JSON Lines, Parquet) become one document per row; they are read by
`coderai.services.table_rows`.

`DocumentParseError` and the text decoding helpers live here and are shared: `file_type` and
`table_rows` import them from this module, which imports neither, so there is no cycle.
"""

from __future__ import annotations

import codecs
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pymupdf
from docx import Document as open_docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from coderai.models.enums import ContentType


class DocumentParseError(Exception):
    """A file cannot be turned into text; the message is written for the researcher."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds on what one uploaded file may expand to (settings `MAX_*`, see README)."""

    max_expanded_bytes: int = 200 * 1024 * 1024  # a .docx's parts once unzipped
    max_pdf_pages: int = 2000
    max_document_chars: int = 5_000_000
    max_table_rows: int = 1_000_000
    max_table_columns: int = 1000
    max_nesting_depth: int = 64  # of a JSON record's values


def too_much_text(limits: ReadLimits) -> DocumentParseError:
    return DocumentParseError(
        f"The document is too large when expanded: it holds more than "
        f"{limits.max_document_chars:,} characters of text (the limit per document)."
    )


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    text: str
    page_offsets: list[int]  # char offset where each page starts; [0] for non-paged formats
    page_count: int
    word_count: int
    metadata: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Text decoding
# --------------------------------------------------------------------------------------------


def bom_encoding(data: bytes) -> str | None:
    """The Python codec named by a byte-order mark at the start of `data`, if any."""
    # UTF-32 first: its little-endian BOM begins with the UTF-16 one.
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def utf16_without_bom(data: bytes) -> str | None:
    """Recognise BOM-less UTF-16 by ASCII text's zero high bytes (every other byte is NUL)."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file and return (text, encoding).

    Order: a byte-order mark (UTF-8, UTF-16, UTF-32), BOM-less UTF-16, strict UTF-8, then the
    legacy fallback cp1252 (Windows "ANSI": latin-1 plus curly quotes, dashes and the euro sign
    where latin-1 has control codes), and latin-1 for the five bytes cp1252 leaves undefined.
    """
    declared = bom_encoding(data) or utf16_without_bom(data)
    if declared is not None:
        # A file that announces its encoding is kept even if a few bytes are damaged.
        return data.decode(declared, errors="replace"), declared
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def normalise_text(text: str) -> str:
    """Unify newlines to \\n and drop NUL characters, which PostgreSQL text cannot store."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def parse_document(
    path: Path, content_type: ContentType, limits: ReadLimits | None = None
) -> ParsedDocument:
    """Extract the normalised text of one document; raises DocumentParseError when it cannot.

    Synchronous and CPU-bound: uploads run it in an isolated child process
    (`documents.reading`). Row-based types are read with `table_rows.iter_table_rows`.
    """
    limits = limits or ReadLimits()
    if path.stat().st_size == 0:
        raise DocumentParseError("The file is empty (0 bytes).")
    if content_type is ContentType.PDF:
        return _parse_pdf(path, limits)
    if content_type is ContentType.DOCX:
        return _parse_docx(path, limits)
    if content_type is ContentType.HTML:
        return _parse_html(path.read_bytes(), limits)
    if content_type is ContentType.TXT:
        text, encoding = decode_text(path.read_bytes())
        return _form_feed_pages(normalise_text(text), {"encoding": encoding}, limits)
    if content_type is ContentType.MD:
        text, encoding = decode_text(path.read_bytes())
        return _single_page(normalise_text(text), {"encoding": encoding}, "text file", limits)
    raise ValueError(f"{content_type} files hold one document per row; use table_rows")


def _single_page(
    text: str, metadata: dict[str, Any], what: str, limits: ReadLimits
) -> ParsedDocument:
    if len(text) > limits.max_document_chars:
        raise too_much_text(limits)
    if not text.strip():
        raise DocumentParseError(f"The {what} contains no text.")
    return ParsedDocument(text, [0], 1, len(text.split()), metadata)


def _form_feed_pages(text: str, metadata: dict[str, Any], limits: ReadLimits) -> ParsedDocument:
    """A plain-text file whose form feeds (\\f, as printers and `pdftotext` write them) start
    new pages: each form feed becomes the page separator PDFs use, and the page offsets say
    where each page starts. A form feed at the very end opens no page."""
    if "\f" not in text:
        return _single_page(text, metadata, "text file", limits)
    pages = text.split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()
    offsets: list[int] = []
    position = 0
    for page in pages:
        offsets.append(position)
        position += len(page) + len(_PAGE_SEPARATOR)
    joined = _PAGE_SEPARATOR.join(pages)
    parsed = _single_page(joined, metadata, "text file", limits)
    return ParsedDocument(joined, offsets, len(pages), parsed.word_count, metadata)


def _out_of_memory(exc: Exception) -> bool:
    """MuPDF reports a failed allocation (the child's memory ceiling) as a plain error."""
    message = str(exc).lower()
    return any(word in message for word in ("alloc", "out of memory"))


# PyMuPDF is not thread-safe ("PyMuPDF does not support running on multiple threads"), and
# parsing runs in a thread pool, so PDF work is serialised. MuPDF holds the GIL while it works,
# so this costs no parallelism.
_MUPDF_LOCK = threading.Lock()
# Ligatures are expanded ("ﬁ" -> "fi") so that words and quotes can be found in the text.
_PDF_TEXT_FLAGS = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES
_PDF_METADATA_KEYS = {
    "title": "title",
    "author": "author",
    "subject": "subject",
    "keywords": "keywords",
    "creator": "creator",
    "producer": "producer",
    "creationDate": "creation_date",
    "modDate": "modification_date",
}
_PAGE_SEPARATOR = "\n\n"


def _parse_pdf(path: Path, limits: ReadLimits) -> ParsedDocument:
    with _MUPDF_LOCK:
        try:
            doc = pymupdf.open(path, filetype="pdf")  # type: ignore[no-untyped-call]
        except Exception as exc:  # PyMuPDF raises several types (FileDataError, RuntimeError…)
            if _out_of_memory(exc):
                raise MemoryError from exc
            reason = str(exc).replace(str(path), "the file")
            raise DocumentParseError(
                f"The PDF could not be opened; it looks damaged ({reason})."
            ) from exc
        with doc:
            if doc.needs_pass:
                raise DocumentParseError(
                    "PDF is encrypted (password-protected); remove the password and upload it "
                    "again."
                )
            if doc.page_count == 0:
                raise DocumentParseError(
                    "The PDF has no readable pages; it looks damaged or truncated."
                )
            if doc.page_count > limits.max_pdf_pages:
                raise DocumentParseError(
                    f"The PDF has {doc.page_count:,} pages; at most {limits.max_pdf_pages:,} "
                    "are read per document. Split it and upload the parts."
                )
            pages: list[str] = []
            chars = 0
            try:
                for number in range(doc.page_count):
                    page = doc.load_page(number)  # type: ignore[no-untyped-call]
                    pages.append(
                        normalise_text(page.get_text("text", flags=_PDF_TEXT_FLAGS)).rstrip()
                    )
                    chars += len(pages[-1]) + len(_PAGE_SEPARATOR)
                    if chars > limits.max_document_chars:
                        raise too_much_text(limits)
            except DocumentParseError:
                raise
            except Exception as exc:
                if _out_of_memory(exc):
                    raise MemoryError from exc
                raise DocumentParseError(
                    f"Page {len(pages) + 1} of the PDF could not be read; it looks damaged ({exc})."
                ) from exc
            raw_metadata = doc.metadata or {}

    offsets: list[int] = []
    position = 0
    for page_text in pages:
        offsets.append(position)
        position += len(page_text) + len(_PAGE_SEPARATOR)
    text = _PAGE_SEPARATOR.join(pages)
    if not text.strip():
        raise DocumentParseError(
            "This PDF has no text layer (scanned PDF?); run OCR on it and upload the result."
        )
    metadata: dict[str, Any] = {
        name: normalise_text(str(raw_metadata[key]))
        for key, name in _PDF_METADATA_KEYS.items()
        if raw_metadata.get(key)
    }
    blank = sum(1 for page_text in pages if not page_text.strip())
    if blank:
        metadata["pages_without_text"] = blank
    return ParsedDocument(text, offsets, len(pages), len(text.split()), metadata)


_W = {
    name: qn(f"w:{name}")
    for name in ("p", "r", "t", "tab", "br", "cr", "tbl", "tr", "tc", "sdt", "sdtContent")
}
_W_TXBX_CONTENT = qn("w:txbxContent")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W_RUN_SYMBOLS = {
    _W["tab"]: "\t",
    _W["br"]: "\n",
    _W["cr"]: "\n",
    qn("w:noBreakHyphen"): "-",
}
# Inline wrappers whose runs are part of the paragraph's text. Runs under <w:del> and
# <w:moveFrom> are left out (tracked changes read as accepted); text boxes are read as blocks
# of their own after their paragraph (`_docx_text_boxes`).
_W_RUN_CONTAINERS = frozenset(
    qn(f"w:{name}")
    for name in ("ins", "moveTo", "hyperlink", "smartTag", "fldSimple", "customXml", "sdt")
) | {_W["sdtContent"]}


def check_expanded_size(path: Path, what: str, limits: ReadLimits) -> None:
    """Refuse a ZIP-based file (.docx, .xlsx, .ods) whose parts add up to more than
    `max_expanded_bytes` once unzipped (zipfile stops reading at each part's declared size)."""
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentParseError(
            f"The {what} could not be opened; it looks damaged ({exc})."
        ) from exc
    if expanded > limits.max_expanded_bytes:
        mb = 1024 * 1024
        raise DocumentParseError(
            f"The {what} is too large when expanded: its parts hold {expanded // mb:,} MB, "
            f"more than the {limits.max_expanded_bytes // mb:,} MB limit."
        )


def _parse_docx(path: Path, limits: ReadLimits) -> ParsedDocument:
    check_expanded_size(path, "Word file", limits)
    try:
        doc = open_docx(str(path))
    except Exception as exc:  # python-docx raises zip, XML and package errors alike
        raise DocumentParseError(
            f"The Word file could not be opened; it looks damaged or is not a .docx ({exc})."
        ) from exc
    # Reading order: headers, the body (each text box after the paragraph it is anchored in),
    # footnotes and endnotes, footers (docs/ARCHITECTURE.md, "Parsing in isolation").
    headers, footers = _docx_headers_and_footers(doc)
    counts = {"tables": 0}
    blocks: list[str] = []
    for story in (*headers, doc.element.body, *_docx_notes(doc), *footers):
        blocks.extend(_docx_story_text(story, counts))
    tables = counts["tables"]
    metadata: dict[str, Any] = {"tables": tables}
    core = doc.core_properties
    if core.title:
        metadata["title"] = core.title
    if core.author:
        metadata["author"] = core.author
    if core.created is not None:
        metadata["created"] = core.created.isoformat()
    return _single_page(normalise_text("\n\n".join(blocks)), metadata, "Word document", limits)


def _docx_story_text(story: Any, counts: dict[str, int]) -> Iterator[str]:
    """The non-empty text blocks of a story (the body, a header, a note, a text box)."""
    for element in _docx_blocks(story):
        if element.tag == _W["p"]:
            text = _docx_paragraph_text(element).strip()
        else:
            counts["tables"] += 1
            text = "\n".join(_docx_table_lines(element))
        if text:
            yield text
        for box in _docx_text_boxes(element):
            yield from _docx_story_text(box, counts)


def _docx_text_boxes(element: Any) -> list[Any]:
    """The text boxes anchored in a paragraph or table, outermost first. Word stores each twice
    (the drawing, and a VML copy under <mc:Fallback>): the fallback copy is left out, and so are
    boxes inside another box (read with that box)."""
    boxes = []
    for box in element.iter(_W_TXBX_CONTENT):
        parent = box.getparent()
        while parent is not None and parent is not element:
            if parent.tag in (_W_TXBX_CONTENT, _MC_FALLBACK):
                break
            parent = parent.getparent()
        else:
            boxes.append(box)
    return boxes


def _docx_headers_and_footers(doc: Any) -> tuple[list[Any], list[Any]]:
    """Each distinct header and footer part (first page, default, even pages) of every section,
    once, in section order."""
    headers: list[Any] = []
    footers: list[Any] = []
    seen: set[int] = set()
    for section in doc.sections:
        for found, parts in (
            ((section.first_page_header, section.header, section.even_page_header), headers),
            ((section.first_page_footer, section.footer, section.even_page_footer), footers),
        ):
            for item in found:
                if item.is_linked_to_previous:  # no part of its own in this section
                    continue
                part = item.part
                if id(part) not in seen:
                    seen.add(id(part))
                    parts.append(part.element)
    return headers, footers


_DOCX_NOTE_KINDS = ((RT.FOOTNOTES, "footnote"), (RT.ENDNOTES, "endnote"))


def _docx_notes(doc: Any) -> list[Any]:
    """The footnotes, then the endnotes, as stories. python-docx has no model of these parts, so
    their XML is parsed here (with python-docx's parser: no entities, no network); the
    separator "notes" Word keeps among them are not text."""
    notes: list[Any] = []
    for reltype, kind in _DOCX_NOTE_KINDS:
        part = next(
            (rel.target_part for rel in doc.part.rels.values() if rel.reltype == reltype), None
        )
        if part is None:
            continue
        try:
            root = parse_xml(part.blob)
        except Exception as exc:  # lxml's XMLSyntaxError and friends
            raise DocumentParseError(
                f"The Word file's {kind}s could not be read; it looks damaged ({exc})."
            ) from exc
        notes.extend(
            note for note in root.iterchildren(qn(f"w:{kind}")) if note.get(qn("w:type")) is None
        )
    return notes


def _docx_blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables of the body in reading order, looking inside content controls."""
    for child in container.iterchildren():
        if child.tag in (_W["p"], _W["tbl"]):
            yield child
        elif child.tag == _W["sdt"]:
            for content in child.iterchildren(_W["sdtContent"]):
                yield from _docx_blocks(content)


def _docx_paragraph_text(paragraph: Any) -> str:
    """The text Word shows for a paragraph, with tracked changes accepted.

    Read from the XML because python-docx's `Paragraph.text` skips runs inside <w:ins>, which
    would lose text inserted while change tracking was on.
    """
    parts: list[str] = []
    for child in paragraph.iterchildren():
        if child.tag == _W["r"]:
            for item in child.iterchildren():
                if item.tag == _W["t"]:
                    parts.append(item.text or "")
                elif item.tag in _W_RUN_SYMBOLS:
                    parts.append(_W_RUN_SYMBOLS[item.tag])
        elif child.tag in _W_RUN_CONTAINERS:
            parts.append(_docx_paragraph_text(child))
    return "".join(parts)


def _docx_table_lines(table: Any) -> list[str]:
    """One line per row, cells joined by " | "; a cell's paragraphs and nested tables are
    flattened onto its row."""
    lines = []
    for row in table.iterchildren(_W["tr"]):
        cells = []
        for cell in row.iterchildren(_W["tc"]):
            parts = [
                _docx_paragraph_text(child)
                if child.tag == _W["p"]
                else " ".join(_docx_table_lines(child))
                for child in cell.iterchildren(_W["p"], _W["tbl"])
            ]
            cells.append(" ".join(" ".join(parts).split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "object"})
_HEAD_TAGS = frozenset({"title", "meta", "link", "base", "style", "script", "noscript"})
# Tags that start a new paragraph (a blank line) or only a new line.
_PARAGRAPH_TAGS = frozenset({f"h{level}" for level in range(1, 7)}).union(
    ("p", "blockquote", "pre", "table", "ul", "ol", "dl", "section", "article", "header"),
    ("footer", "figure", "hr", "main", "nav", "aside", "form"),
)
_LINE_TAGS = frozenset(
    ("div", "li", "tr", "dt", "dd", "caption", "figcaption", "address", "details", "summary")
).union(("fieldset", "legend", "thead", "tbody", "tfoot"))
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _ReadableHtml(HTMLParser):
    """Collects the text a reader sees: no scripts, styles or head, with block breaks kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skipping = 0
        self._in_head = False
        self._in_title = False
        self._in_pre = 0
        self._cells_in_row = 0
        # Newlines owed before the next text: nested blocks (</td></tr><tr>) ask for one break.
        self._pending = 0

    def _emit(self, text: str) -> None:
        if self._pending:
            self.parts.append("\n" * self._pending)
            self._pending = 0
        self.parts.append(text)

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS:
            self._pending = 2
        elif tag in _LINE_TAGS:
            self._pending = max(self._pending, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
            return
        if tag == "head":
            self._in_head = True
        elif tag == "title":
            self._in_title = True
        elif self._in_head and tag not in _HEAD_TAGS:
            self._in_head = False  # body content without a closing </head>
        if self._skipping or self._in_head:
            return
        if tag == "br":
            self._pending = min(2, self._pending + 1)  # <br><br> is a blank line
        elif tag in ("td", "th"):
            if self._cells_in_row:
                self._emit(" | ")
            self._cells_in_row += 1
        else:
            self._block(tag)
        if tag == "tr":
            self._cells_in_row = 0
        elif tag == "pre":
            self._in_pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed <svg/> or <script/> must not open a region that is never closed.
        if tag not in _SKIPPED_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        elif not self._skipping and not self._in_head:
            self._block(tag)
            if tag == "pre":
                self._in_pre = max(0, self._in_pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._in_title:
            self.title.append(data)
        elif self._in_head:
            return
        elif self._in_pre:
            self._emit(data)
        elif data.strip():
            self._emit(_SPACES.sub(" ", data))
        elif not self._pending:
            self.parts.append(" ")


def _parse_html(data: bytes, limits: ReadLimits) -> ParsedDocument:
    encoding = bom_encoding(data)
    declared = _META_CHARSET.search(data[:4096])
    if encoding is None and declared is not None:
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            encoding = None
        if encoding and encoding.startswith(("utf-16", "utf-32")):
            # A meta tag readable as ASCII cannot be UTF-16/32 (the HTML standard reads UTF-8).
            encoding = "utf-8"
    markup: str | None = None
    if encoding is not None:
        try:
            markup = data.decode(encoding, errors="replace")
        except LookupError:  # a codec that is not a text encoding ("hex", "zlib", "rot13"…)
            markup = None
    if markup is None:
        markup, encoding = decode_text(data)
    parser = _ReadableHtml()
    parser.feed(normalise_text(markup))
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    metadata: dict[str, Any] = {"encoding": encoding}
    title = " ".join("".join(parser.title).split())
    if title:
        metadata["title"] = title
    return _single_page(text, metadata, "HTML page", limits)
