"""Tell what an uploaded file really is from its bytes, before it is parsed.

`detect` reads the first bytes of a file and names its content type (and, for tabular files,
how the table is laid out); the filename's extension only breaks ties between text-like kinds.
Parsing is `coderai.documents.parsers` (one document per file) and
`coderai.documents.table_rows` (one document per row).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from coderai.documents.parsers import DocumentParseError, bom_encoding, utf16_without_bom
from coderai.models.enums import ContentType


class TableKind(StrEnum):
    """How a tabular file is laid out; each of its rows becomes one document."""

    CSV = "CSV"  # delimited text; the delimiter (, ; |) is sniffed when reading
    TSV = "TSV"
    JSON = "JSON"  # a top-level array of objects
    JSONL = "JSONL"  # one object per line
    PARQUET = "PARQUET"
    SHEET = "SHEET"  # a workbook (.xlsx, .xls, .ods); one sheet is read, by name or the first

    @property
    def content_type(self) -> ContentType:
        """The content type stored on each document made from a row of such a file."""
        if self in (TableKind.CSV, TableKind.TSV):
            return ContentType.CSV_ROW
        if self is TableKind.PARQUET:
            return ContentType.PARQUET_ROW
        if self is TableKind.SHEET:
            return ContentType.SHEET_ROW
        return ContentType.JSON_ROW


@dataclass(frozen=True, slots=True)
class Detection:
    content_type: ContentType
    table_kind: TableKind | None = None  # set for the *_ROW content types


_HEAD_BYTES = 64 * 1024

# Formats that are never text: a file named like this whose bytes are text is mislabelled
# (typically an HTML error page saved under the name of the PDF that failed to download).
_BINARY_EXTENSIONS = {
    ".pdf": "a PDF",
    ".docx": "a Word document",
    ".parquet": "a Parquet file",
    ".doc": "a Word document",
    ".xlsx": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".pptx": "a PowerPoint file",
    ".png": "a PNG image",
    ".jpg": "a JPEG image",
    ".jpeg": "a JPEG image",
    ".zip": "a ZIP archive",
}

_OCR_ADVICE = "CoderAI reads text, so run OCR on it (or export a PDF with a text layer) first."
_OFFICE_ADVICE = "Open it in Word or Excel and save it as .docx, PDF or CSV first."
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Compound File (legacy Office)
PASSWORD_PROTECTED_WORKBOOK = (
    "The workbook is encrypted (password-protected); remove the password in Excel or "
    "LibreOffice and upload it again."
)
_ARCHIVE_ADVICE = "Unpack it and upload the documents inside."
_UNSUPPORTED_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", _OCR_ADVICE),
    (b"\xff\xd8\xff", "a JPEG image", _OCR_ADVICE),
    (b"GIF87a", "a GIF image", _OCR_ADVICE),
    (b"GIF89a", "a GIF image", _OCR_ADVICE),
    (b"II*\x00", "a TIFF image", _OCR_ADVICE),
    (b"MM\x00*", "a TIFF image", _OCR_ADVICE),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "a legacy Office file (.doc, .xls or .ppt)",
        _OFFICE_ADVICE,
    ),
    (b"{\\rtf", "an RTF document", _OFFICE_ADVICE),
    (b"\x1f\x8b", "a gzip archive", _ARCHIVE_ADVICE),
    (b"BZh", "a bzip2 archive", _ARCHIVE_ADVICE),
    (b"\xfd7zXZ\x00", "an xz archive", _ARCHIVE_ADVICE),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", _ARCHIVE_ADVICE),
    (b"Rar!\x1a\x07", "a RAR archive", _ARCHIVE_ADVICE),
    (b"SQLite format 3\x00", "an SQLite database", "Export the table as CSV first."),
    (b"\x7fELF", "a program (ELF executable)", "Upload a document instead."),
)

# Control bytes that never occur in text files (tab, newlines, form feed and ESC are allowed).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))

# WHATWG MIME sniffing treats a file as HTML when it starts with one of these tags.
_HTML_STRONG = re.compile(r"<(?:!doctype\s+html|html)[\s>]")
_HTML_WEAK = re.compile(
    r"<(?:head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p|!--)[\s>/]"
)
_JSON_ARRAY_OF_OBJECTS = re.compile(r"\[\s*(?:\{|\]\s*$)")
_MARKDOWN_FEATURES = (
    re.compile(r"^#{1,6}\s+\S", re.MULTILINE),
    re.compile(r"^\s*[-*+]\s+\S", re.MULTILINE),
    re.compile(r"^\s*```", re.MULTILINE),
    re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"),
    re.compile(r"\*\*[^*\n]+\*\*"),
    re.compile(r"^\s*>\s+\S", re.MULTILINE),
)


def detect(path: Path, filename: str | None = None) -> Detection:
    """Tell what a file really is from its bytes; the filename's extension only breaks ties
    between text-like kinds (Markdown vs plain text vs CSV)."""
    ext = Path(filename or path.name).suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
        truncated = bool(fh.read(1))
    if not head:
        raise DocumentParseError("The file is empty (0 bytes).")

    # PDF readers accept the header anywhere in the first kilobyte.
    if b"%PDF-" in head[:1024]:
        return Detection(ContentType.PDF)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _detect_zip(path)
    if head.startswith(b"PAR1"):
        with path.open("rb") as fh:
            fh.seek(-4, 2)
            if fh.read(4) != b"PAR1":
                raise DocumentParseError("The Parquet file is truncated or damaged.")
        return Detection(ContentType.PARQUET_ROW, TableKind.PARQUET)
    if head.startswith(_OLE_SIGNATURE):
        ole = _detect_ole(path)
        if ole is not None:
            return ole
    for signature, what, advice in _UNSUPPORTED_SIGNATURES:
        if head.startswith(signature):
            raise DocumentParseError(f"The file is {what}, which CoderAI cannot read. {advice}")

    sample = _decode_sample(head, truncated)
    if sample is None:
        raise DocumentParseError(
            "The file holds binary data that is not a supported document "
            "(PDF, Word .docx, text, Markdown, HTML, CSV, JSON, Parquet, or an Excel or "
            "OpenDocument workbook)."
        )
    detection = _classify_text(sample, ext, truncated)
    if ext in _BINARY_EXTENSIONS:
        found = "an HTML page" if detection.content_type is ContentType.HTML else "text"
        raise DocumentParseError(
            f"The file is named like {_BINARY_EXTENSIONS[ext]} ({ext}) but contains {found}; "
            "it may be an error page or a file saved under the wrong name."
        )
    return detection


def detect_content_type(path: Path, filename: str | None = None) -> ContentType:
    """The content type of a file judged by its bytes (see `detect` for the table kind)."""
    return detect(path, filename).content_type


def _detect_zip(path: Path) -> Detection:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise DocumentParseError(
            f"The file is a damaged ZIP or Word (.docx) file ({exc})."
        ) from exc
    if "word/document.xml" in names:
        return Detection(ContentType.DOCX)
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return Detection(ContentType.SHEET_ROW, TableKind.SHEET)
    if "ppt/presentation.xml" in names:
        raise DocumentParseError("The file is a PowerPoint presentation; export it as PDF first.")
    if "content.xml" in names:
        with zipfile.ZipFile(path) as archive:
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
            manifest = (
                archive.read("META-INF/manifest.xml")[:_HEAD_BYTES]
                if "META-INF/manifest.xml" in names
                else b""
            )
        if mimetype.strip() == b"application/vnd.oasis.opendocument.spreadsheet":
            if b"encryption-data" in manifest:
                raise DocumentParseError(PASSWORD_PROTECTED_WORKBOOK)
            return Detection(ContentType.SHEET_ROW, TableKind.SHEET)
        raise DocumentParseError("The file is an OpenDocument file; save it as .docx or PDF first.")
    raise DocumentParseError(f"The file is a ZIP archive. {_ARCHIVE_ADVICE}")


def _ole_streams(path: Path, names: tuple[bytes, ...]) -> set[bytes]:
    """Which of the stream `names` a Compound File's directory holds. Directory entries store
    their names in UTF-16LE ending in a NUL character (which text in the file does not), so
    the file is scanned for them in bounded chunks."""
    wanted = {name: (name.decode("ascii") + "\x00").encode("utf-16-le") for name in names}
    overlap = max(len(encoded) for encoded in wanted.values())
    found: set[bytes] = set()
    tail = b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            window = tail + chunk
            found.update(name for name, encoded in wanted.items() if encoded in window)
            tail = window[-overlap:]
    return found


def _detect_ole(path: Path) -> Detection | None:
    """An encrypted Office 2007+ file (always a Compound File holding "EncryptedPackage") is a
    clear error; a legacy Excel .xls (a "Workbook" or "Book" stream) is a workbook."""
    streams = _ole_streams(path, (b"EncryptedPackage", b"Workbook", b"Book", b"WordDocument"))
    if b"EncryptedPackage" in streams:
        raise DocumentParseError(
            "The file is encrypted (password-protected); remove the password and upload it again."
        )
    if streams & {b"Workbook", b"Book"} and b"WordDocument" not in streams:
        return Detection(ContentType.SHEET_ROW, TableKind.SHEET)
    return None


def _decode_sample(head: bytes, truncated: bool) -> str | None:
    """Decode the first bytes of a file as text, or None when they look binary."""
    encoding = bom_encoding(head) or utf16_without_bom(head)
    if encoding is None:
        controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
        if controls > len(head) // 100:
            return None
        encoding = "utf-8"
    # An incremental decoder tolerates a multi-byte character cut at the end of the sample.
    for candidate in (encoding, "cp1252", "latin-1"):
        try:
            decoder = codecs.getincrementaldecoder(candidate)()
            return decoder.decode(head, final=not truncated)
        except UnicodeDecodeError:
            continue
    return None  # pragma: no cover - latin-1 decodes any byte string


def _classify_text(sample: str, ext: str, truncated: bool) -> Detection:
    start = sample.lstrip("\ufeff \t\r\n")
    lowered = start[:1024].lower()
    if _HTML_STRONG.match(lowered) or (lowered.startswith("<?xml") and "<html" in lowered):
        return Detection(ContentType.HTML)

    json_kind = _json_kind(start)
    if json_kind is not None:
        return Detection(ContentType.JSON_ROW, json_kind)
    if ext in (".json", ".jsonl", ".ndjson"):
        raise DocumentParseError(
            "The JSON file is not a list of records: upload an array of objects "
            "([{...}, {...}]) or JSON Lines (one object per line)."
        )

    if ext in (".csv", ".tsv", ".tab"):
        delimiter = sniff_delimiter(sample, truncated) or ("\t" if ext != ".csv" else ",")
        kind = TableKind.TSV if delimiter == "\t" else TableKind.CSV
        return Detection(ContentType.CSV_ROW, kind)
    if ext in (".md", ".markdown"):
        return Detection(ContentType.MD)
    if ext in (".html", ".htm", ".xhtml"):
        return Detection(ContentType.HTML)
    if ext in (".txt", ".text"):
        return Detection(ContentType.TXT)

    # No telling extension: judge by the content alone.
    if _HTML_WEAK.match(lowered):
        return Detection(ContentType.HTML)
    sniffed = sniff_delimiter(sample, truncated, min_records=3)
    if sniffed is not None:
        kind = TableKind.TSV if sniffed == "\t" else TableKind.CSV
        return Detection(ContentType.CSV_ROW, kind)
    if sum(1 for feature in _MARKDOWN_FEATURES if feature.search(sample)) >= 2:
        return Detection(ContentType.MD)
    return Detection(ContentType.TXT)


def _json_kind(start: str) -> TableKind | None:
    if start.startswith("["):
        return TableKind.JSON if _JSON_ARRAY_OF_OBJECTS.match(start) else None
    if start.startswith("{"):
        first_line = start.split("\n", 1)[0]
        try:
            return TableKind.JSONL if isinstance(json.loads(first_line), dict) else None
        except ValueError:
            return None
        except RecursionError:
            return TableKind.JSONL  # an object nested too deeply: the reader says so
    return None


def sniff_delimiter(sample: str, truncated: bool = False, min_records: int = 2) -> str | None:
    """The delimiter (tab, comma, semicolon or pipe) that splits every record of `sample` into
    the same number (at least two) of fields, or None."""
    lines = sample.splitlines()
    if truncated and lines:
        lines.pop()  # the last line may be cut short
    body = "\n".join(line for line in lines[:200] if line.strip())
    for delimiter in ("\t", ",", ";", "|"):
        if delimiter not in body:
            continue
        try:
            widths = [len(record) for record in csv.reader(io.StringIO(body), delimiter=delimiter)]
        except csv.Error:
            continue
        if len(widths) >= min_records and widths[0] >= 2 and len(set(widths)) == 1:
            return delimiter
    return None
