"""Split a document's text into token-bounded, overlapping chunks with exact character offsets.

Chunks end at a paragraph break when one keeps the chunk at least half full, else at a sentence
end, a line break or a word break, and only as a last resort inside a word. Token counts come
from `count_tokens`, an offline approximation of OpenAI's cl100k_base tokenizer.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# cl100k_base's pre-tokenizer, in the standard `re` dialect: a contraction suffix, a letter run
# with one leading non-letter (usually the space), a number of up to three digits, a run of
# punctuation, or whitespace. BPE then turns each piece into one token or more.
_PIECE = re.compile(
    r"'(?i:[sdmt]|ll|ve|re)"
    r"|(?:[^\r\n\w]|_)?[^\W\d_]+"
    r"|\d{1,3}"
    r"| ?(?:[^\s\w]|_)+[\r\n]*"
    r"|\s*[\r\n]+"
    r"|\s+(?!\S)"
    r"|\s+"
)
# Chinese, Japanese and Korean characters cost about one token each in cl100k_base, yet a run
# of them is a single pre-token, so each is counted on top.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+|[\u3002\uff01\uff1f]")
_LINE_BREAK = re.compile(r"\n\s*")
_WORD_BREAK = re.compile(r"\s+")


def count_tokens(text: str) -> int:
    """Approximate the number of cl100k_base tokens in `text`, offline.

    tiktoken downloads its encodings on first use, which cannot happen here, so this counts
    cl100k_base's pre-tokens (a lower bound: each becomes at least one token; common English
    words are exactly one) plus one per CJK character, and returns the larger of that and
    ceil(len / 4), OpenAI's rule of thumb of about four characters per token of English. For
    English prose the chars/4 term usually wins and lands within roughly 10% of cl100k_base
    (these figures are published averages, not measured here); for code, numbers and
    punctuation-dense text the pre-token count takes over.
    """
    if not text:
        return 0
    pieces = len(_PIECE.findall(text)) + len(_CJK.findall(text))
    return max(pieces, -(-len(text) // 4))


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    char_start: int
    char_end: int  # exclusive: text[char_start:char_end] == chunk.text
    text: str
    token_count: int
    pages: list[int]  # 1-based pages the chunk touches


def page_of(offset: int, page_offsets: Sequence[int]) -> int:
    """The 1-based page that holds character `offset`, given where each page starts."""
    return max(1, bisect_right(page_offsets, offset))


def chunk_text(
    text: str,
    page_offsets: Sequence[int],
    *,
    max_tokens: int = 2500,
    overlap_tokens: int = 250,
) -> list[Chunk]:
    """Cover `text` with chunks of at most `max_tokens` (by `count_tokens`) in which each chunk
    repeats about `overlap_tokens` of the end of the one before."""
    if max_tokens < 16:
        raise ValueError("max_tokens must be at least 16")
    if not 0 <= overlap_tokens <= max_tokens // 2:
        raise ValueError("overlap_tokens must be between 0 and half of max_tokens")
    if not text:
        return []
    offsets = list(page_offsets) or [0]
    planner = _Planner(text, max_tokens, overlap_tokens)
    chunks: list[Chunk] = []
    start = end = 0
    while True:
        end, tokens = planner.end_for(start, min_end=end + 1)
        first_page, last_page = page_of(start, offsets), page_of(end - 1, offsets)
        chunk = Chunk(
            len(chunks), start, end, text[start:end], tokens, list(range(first_page, last_page + 1))
        )
        chunks.append(chunk)
        if end == len(text):
            return chunks
        start = planner.next_start(start, end)


class _Planner:
    """Finds chunk boundaries with token counts of any span read off prefix positions, so the
    text is scanned once instead of once per candidate boundary."""

    def __init__(self, text: str, max_tokens: int, overlap_tokens: int) -> None:
        self.text = text
        self.max_tokens = max_tokens
        self.overlap = overlap_tokens
        marks = [m.start() for m in _PIECE.finditer(text)]
        cjk = [m.start() for m in _CJK.finditer(text)]
        self.marks = sorted(marks + cjk) if cjk else marks
        self.paragraphs = [m.end() for m in _PARAGRAPH_BREAK.finditer(text)]
        self.sentences = [m.end() for m in _SENTENCE_END.finditer(text)]
        self.lines = [m.end() for m in _LINE_BREAK.finditer(text)]
        self.words = [m.end() for m in _WORD_BREAK.finditer(text)]

    def estimate(self, start: int, end: int) -> int:
        """An upper bound on `count_tokens(text[start:end])`, at most three over (by exhaustive
        check on small texts): a slice can split a pre-token at each of its ends (the tail of
        " hello", or " \n" cut from " \n\n"), which the two corrections below pay for."""
        pieces = bisect_left(self.marks, end) - bisect_left(self.marks, start)
        pieces += (start > 0) + (end < len(self.text))
        return max(pieces, -(-(end - start) // 4))

    def end_for(self, start: int, min_end: int) -> tuple[int, int]:
        """The end of the chunk that begins at `start` and reaches at least `min_end` (past the
        previous chunk, so that it adds text), and its exact token count."""
        budget = self.max_tokens
        while True:
            end = self._choose_end(start, budget, min_end)
            tokens = count_tokens(self.text[start:end])
            if tokens <= self.max_tokens or end == start + 1:
                return end, tokens
            budget -= tokens - self.max_tokens  # the estimate fell short; ask for less

    def _choose_end(self, start: int, budget: int, min_end: int) -> int:
        n = len(self.text)
        if self.estimate(start, n) <= budget:
            return n
        furthest = _last_true(start + 1, n, lambda end: self.estimate(start, end) <= budget)
        floor = budget // 2
        for breaks in (self.paragraphs, self.sentences, self.lines, self.words):
            i = bisect_right(breaks, furthest) - 1
            if i >= 0 and breaks[i] >= min_end and self.estimate(start, breaks[i]) >= floor:
                return breaks[i]
        return furthest  # one word longer than half a chunk: cut inside it

    def next_start(self, start: int, end: int) -> int:
        """Where the chunk after [start, end) begins: about `overlap` tokens before `end`, at a
        sentence or word start when one is near, and always after `start`."""
        if self.overlap == 0:
            return end
        # The overlap's estimate stays under 1.5 * overlap + 2 <= 3/4 of a chunk + 2, so with
        # max_tokens >= 16 the next chunk has room to reach past `end` (a CJK character can
        # add two to the estimate).

        def position_with(tokens: int) -> int:
            # The last position from which at least `tokens` remain until `end`.
            return _last_true(start + 1, end - 1, lambda p: self.estimate(p, end) >= tokens)

        target = position_with(self.overlap)
        lowest = position_with(self.overlap * 3 // 2)
        highest = position_with(max(1, self.overlap // 2))
        for breaks in (self.sentences, self.words):
            i = bisect_left(breaks, target)
            near = [b for b in breaks[max(0, i - 1) : i + 1] if lowest <= b <= highest]
            if near:
                return min(near, key=lambda b: abs(b - target))
        return target


def _last_true(lo: int, hi: int, predicate: Callable[[int], bool]) -> int:
    """The largest x in [lo, hi] with predicate(x) true, for a predicate that is true up to
    some point and false after it; `lo` when it is false everywhere."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if predicate(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
