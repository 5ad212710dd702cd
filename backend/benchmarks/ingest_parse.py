"""PDF parsing overhead: `parse_document` on a 200-page PDF ÷ a bare PyMuPDF `get_text()` loop.

Writes a PDF of realistic prose (about 350 words a page, paragraphs, numbers, punctuation) to a
temporary directory, times both readers on it (interleaved, median of several runs after a
warm-up) and prints the ratio; the target is <= 1.3. `ingest.py` runs this with the rows
benchmark and prints both figures.

    python backend/benchmarks/ingest_parse.py [--pages 200] [--runs 5]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "backend"))

from coderai.documents.parsers import parse_document  # noqa: E402
from coderai.models.enums import ContentType  # noqa: E402

TARGET_RATIO = 1.3
mupdf: Any = pymupdf  # PyMuPDF's annotations are partial; untyped calls would fail mypy --strict
SUBJECTS = ["The council", "The committee", "Our survey", "The ministry", "Each respondent"]
VERBS = ["reported", "approved", "rejected", "reviewed", "estimated", "questioned", "noted"]
OBJECTS = [
    "the annual budget",
    "a revised housing policy",
    "the proposed amendment",
    "public health spending",
    "the regional transport plan",
    "several procedural objections",
]
TAILS = [
    "after a long debate",
    "in line with the 2019 guidance",
    "despite objections from two members",
    "with a majority of {n} votes",
    "at a cost of {n},000 euros",
    "following the audit of {n} districts",
]


def sentence(rng: random.Random) -> str:
    tail = rng.choice(TAILS).format(n=rng.randint(3, 950))
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {tail}."


def page_text(rng: random.Random, words: int = 350) -> str:
    paragraphs, count = [], 0
    while count < words:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return "\n\n".join(paragraphs)


def write_pdf(path: Path, pages: int) -> None:
    rng = random.Random(42)
    doc = mupdf.open()
    for _ in range(pages):
        page = doc.new_page()  # A4-ish default (595 x 842 pt)
        page.insert_textbox(mupdf.Rect(56, 56, 539, 786), page_text(rng), fontsize=9)
    doc.save(path)
    doc.close()


def bare_loop(path: Path) -> int:
    with mupdf.open(path) as doc:
        return sum(len(page.get_text()) for page in doc)


def timed(function: Callable[[Path], object], path: Path) -> float:
    started = time.perf_counter()
    function(path)
    return time.perf_counter() - started


@dataclass(frozen=True)
class ParseFigures:
    pages: int
    words: int
    chars: int
    runs: int
    bare_s: float  # median seconds of the bare PyMuPDF loop
    ours_s: float  # median seconds of parse_document

    @property
    def ratio(self) -> float:
        return self.ours_s / self.bare_s

    @property
    def met(self) -> bool:
        return self.ratio <= TARGET_RATIO


def measure_parse(pages: int = 200, runs: int = 5) -> ParseFigures:
    """Time `parse_document` and the bare loop on a generated PDF of `pages` pages."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pdf"
        write_pdf(path, pages)

        def parse(p: Path) -> object:
            return parse_document(p, ContentType.PDF)

        parsed = parse_document(path, ContentType.PDF)
        bare_loop(path)  # warm-up: fonts and caches loaded once for both readers
        bare, ours = [], []
        for _ in range(runs):
            bare.append(timed(bare_loop, path))
            ours.append(timed(parse, path))

    return ParseFigures(
        pages=parsed.page_count,
        words=parsed.word_count,
        chars=len(parsed.text),
        runs=runs,
        bare_s=statistics.median(bare),
        ours_s=statistics.median(ours),
    )


def print_parse(figures: ParseFigures) -> None:
    f = figures
    print(f"pages: {f.pages}, words: {f.words}, chars: {f.chars}")
    print(f"bare PyMuPDF get_text loop: {f.bare_s * 1000:.1f} ms (median of {f.runs})")
    print(f"parse_document:             {f.ours_s * 1000:.1f} ms (median of {f.runs})")
    verdict = "ok" if f.met else "over target"
    print(f"ratio parse_document / bare loop: {f.ratio:.2f} (target <= {TARGET_RATIO}) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description="PDF parsing overhead benchmark")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print_parse(measure_parse(args.pages, args.runs))


if __name__ == "__main__":
    main()
