"""Locate a model's verbatim quote in the document text (DESIGN §5 step 4).

A quote is looked for exactly, then in a normalised view of the text (case, whitespace,
typographic quotes, dashes, ligatures, accents, soft hyphens and hyphenated line breaks folded
away), then fuzzily. Offsets are always returned in the ORIGINAL text, so the reviewer's
highlight lands on the characters the document really contains.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from coderai.models.enums import GroundingKind

__all__ = ["DocumentIndex", "Grounding", "document_index", "ground_quote", "normalize_for_match"]

# Below this many normalised characters a fuzzy match says little (one edit in "yes" is "no").
MIN_FUZZY_CHARS = 12
# Quotes this short may be searched over the whole text when no anchor word points anywhere.
_FULL_SCAN_MAX_CHARS = 64
# Words seen more often than this are useless as anchors (the, of, and ...).
_MAX_ANCHOR_HITS = 400
_MAX_ANCHOR_WORDS = 12
_MAX_WINDOWS = 6
# Alignments this far below the threshold are still refined: snapping to words may lift them.
_REFINE_MARGIN = 10.0
# How far (normalised characters) a fuzzy span's edges may move when snapped to words.
_MAX_REACH = 48
# How far apart the pieces of an elided quote ("A ... B") may be, in normalised characters.
_MAX_ELISION_GAP = 5000

_APOSTROPHES = frozenset("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4`")
_DOUBLE_QUOTES = frozenset("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
# Invisible characters PDF extraction leaves behind: soft hyphen, zero-width (non-)joiners, BOM.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_DASH_CLASS = "\\-\u00ad\u2010-\u2015\u2212\ufe58\ufe63\uff0d"

# Everything that is not plain printable ASCII (space included, hyphen excluded) needs folding;
# plain runs between matches only need lower-casing, which keeps their length.
_SPECIAL = re.compile(
    rf"(?P<hyph>[{_DASH_CLASS}][^\S\r\n]*(?:\r\n|\r|\n)\s*)"  # hyphenated line break: joined
    rf"|(?P<dash> ?[{_DASH_CLASS}] ?)"  # dashes are dropped; spaces around them become one
    r"|(?P<ws>\s{2,}|[^\S ])"  # whitespace runs and exotic spaces become one space
    r"|(?P<other>[^\x20-\x7e])"  # any other non-ASCII character: folded one by one
)
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\[\u2026\]|(?:\.\s*){3,}|\u2026)\s*")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Grounding:
    """Where a quote was found: a half-open span [char_start, char_end) of the original text."""

    kind: GroundingKind
    char_start: int | None = None
    char_end: int | None = None
    page: int | None = None
    # 100 for EXACT and NORMALIZED, the rapidfuzz score for FUZZY, the best score seen for NONE.
    score: float = 0.0

    @property
    def found(self) -> bool:
        return self.kind is not GroundingKind.NONE


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """The normalised form of one non-ASCII character (possibly empty or several characters)."""
    simple = _fold_simple(char)
    if simple != char:
        return simple
    # NFKD splits ligatures (ﬁ) and accents; accents go, then NFKC re-composes scripts like Hangul.
    decomposed = unicodedata.normalize("NFKD", char)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFKC", stripped).casefold()
    if folded and folded.isspace():
        return " "
    # Compatibility forms can fold into a dash or a curly quote (fullwidth ones): map those too.
    return "".join(_fold_simple(c) for c in folded)


def _fold_simple(char: str) -> str:
    if char in _INVISIBLE or char in _DASHES:
        return ""
    if char in _APOSTROPHES:
        return "'"
    if char in _DOUBLE_QUOTES:
        return '"'
    return char


class _Normalised:
    """A normalised copy of a text plus a piecewise map back to original character positions."""

    __slots__ = ("_block_end", "_seg_norm", "_seg_orig", "text")

    def __init__(self, source: str) -> None:
        parts: list[str] = []
        # Segment k starts at normalised position _seg_norm[k]; a linear segment (block end -1)
        # maps position p to _seg_orig[k] + (p - _seg_norm[k]); a block maps all of its
        # normalised characters to the original span [_seg_orig[k], _block_end[k]).
        self._seg_norm: list[int] = []
        self._seg_orig: list[int] = []
        self._block_end: list[int] = []
        length = 0
        last_space = True  # leading whitespace is dropped

        def linear(orig: int) -> None:
            # Still contiguous with the previous linear segment: no new segment needed.
            if (
                self._block_end
                and self._block_end[-1] == -1
                and length - self._seg_norm[-1] == orig - self._seg_orig[-1]
            ):
                return
            self._seg_norm.append(length)
            self._seg_orig.append(orig)
            self._block_end.append(-1)

        def block(orig_start: int, orig_end: int) -> None:
            self._seg_norm.append(length)
            self._seg_orig.append(orig_start)
            self._block_end.append(orig_end)

        position = 0
        for match in _SPECIAL.finditer(source):
            start, end = match.span()
            if start > position:
                plain = source[position:start]
                if last_space:
                    # A space right after an emitted space (e.g. "a — b") must not double up.
                    skipped = len(plain) - len(plain.lstrip(" "))
                    plain = plain[skipped:]
                    position += skipped
                if plain:
                    linear(position)
                    parts.append(plain.lower())
                    length += len(plain)
                    last_space = plain[-1] == " "
            position = end
            kind = match.lastgroup
            if kind == "hyph":
                continue
            if kind == "dash" or kind == "ws":
                if (kind == "ws" or " " in match.group()) and not last_space:
                    block(start, end)
                    parts.append(" ")
                    length += 1
                    last_space = True
                continue
            folded = _fold_char(match.group())
            if not folded:
                continue
            if folded == " ":
                if not last_space:
                    block(start, end)
                    parts.append(" ")
                    length += 1
                    last_space = True
                continue
            if len(folded) == 1:
                linear(start)
            else:
                block(start, end)
            parts.append(folded)
            length += len(folded)
            last_space = False
        plain = source[position:]
        if last_space:
            skipped = len(plain) - len(plain.lstrip(" "))
            plain = plain[skipped:]
            position += skipped
        if plain:
            linear(position)
            parts.append(plain.lower())
        self.text = "".join(parts)

    def original_start(self, position: int) -> int:
        k = bisect_right(self._seg_norm, position) - 1
        if self._block_end[k] != -1:
            return self._seg_orig[k]
        return self._seg_orig[k] + position - self._seg_norm[k]

    def original_end(self, position: int) -> int:
        """The original offset just after normalised character ``position - 1``."""
        last = position - 1
        k = bisect_right(self._seg_norm, last) - 1
        if self._block_end[k] != -1:
            return self._block_end[k]
        return self._seg_orig[k] + last - self._seg_norm[k] + 1


def normalize_for_match(text: str) -> str:
    """The case-, whitespace-, punctuation-variant-folded form used for NORMALIZED grounding."""
    return _Normalised(text).text.strip()


def _nearest(candidates: list[int], near: int | None) -> int:
    if near is None:
        return candidates[0]
    return min(candidates, key=lambda start: (abs(start - near), start))


def _all_occurrences(haystack: str, needle: str) -> list[int]:
    found: list[int] = []
    position = haystack.find(needle)
    while position != -1:
        found.append(position)
        position = haystack.find(needle, position + 1)
    return found


class DocumentIndex:
    """A document prepared once for grounding many quotes (normalised view, word positions)."""

    def __init__(self, text: str, page_offsets: list[int] | tuple[int, ...] = ()) -> None:
        self.text = text
        self.page_offsets = sorted(page_offsets)
        self._norm = _Normalised(text)
        self._word_positions: dict[str, list[int]] | None = None

    @property
    def normalised_text(self) -> str:
        return self._norm.text

    def page_of(self, char_start: int) -> int | None:
        """The 1-based page holding ``char_start``, or None when the document has no pages."""
        if not self.page_offsets:
            return None
        return max(1, bisect_right(self.page_offsets, char_start))

    def ground(
        self, quote: str | None, *, fuzzy_threshold: float = 90.0, near: int | None = None
    ) -> Grounding:
        """Find ``quote``: exact, then normalised, then elided pieces, then fuzzy, else NONE."""
        if not quote or not quote.strip():
            return Grounding(GroundingKind.NONE)
        stripped = quote.strip()
        exact = _all_occurrences(self.text, stripped)
        if exact:
            start = _nearest(exact, near)
            return self._found(GroundingKind.EXACT, start, start + len(stripped), 100.0)

        needle = normalize_for_match(stripped)
        if not needle:
            return Grounding(GroundingKind.NONE)
        hits = _all_occurrences(self._norm.text, needle)
        if hits:
            starts = [self._norm.original_start(hit) for hit in hits]
            best = _nearest(starts, near)
            hit = hits[starts.index(best)]
            end = self._norm.original_end(hit + len(needle))
            return self._found(GroundingKind.NORMALIZED, best, end, 100.0)

        elided = self._ground_elided(stripped, near)
        if elided is not None:
            return elided
        return self._ground_fuzzy(needle, fuzzy_threshold, near)

    def _found(self, kind: GroundingKind, start: int, end: int, score: float) -> Grounding:
        return Grounding(kind, start, end, self.page_of(start), score)

    def _ground_elided(self, quote: str, near: int | None) -> Grounding | None:
        """Models shorten quotes with "..."; accept one when every piece is there, in order."""
        pieces = [normalize_for_match(p) for p in _ELLIPSIS.split(quote)]
        pieces = [p for p in pieces if p]
        if len(pieces) < 2:
            return None
        norm = self._norm.text
        firsts = _all_occurrences(norm, pieces[0])
        if not firsts:
            return None
        if near is not None:
            firsts.sort(key=lambda p: abs(self._norm.original_start(p) - near))
        for first in firsts[:50]:
            end = first + len(pieces[0])
            for piece in pieces[1:]:
                position = norm.find(piece, end, end + _MAX_ELISION_GAP + len(piece))
                if position == -1:
                    break
                end = position + len(piece)
            else:
                start = self._norm.original_start(first)
                return self._found(GroundingKind.FUZZY, start, self._norm.original_end(end), 100.0)
        return None

    def _anchor_starts(self, needle: str) -> list[int]:
        """Likely normalised start positions of ``needle``, voted by its rarer words."""
        if self._word_positions is None:
            positions: defaultdict[str, list[int]] = defaultdict(list)
            for match in _WORD.finditer(self._norm.text):
                positions[match.group()].append(match.start())
            self._word_positions = dict(positions)
        words: dict[str, int] = {}
        for match in _WORD.finditer(needle):
            words.setdefault(match.group(), match.start())
        usable = [
            (len(hits), word, offset)
            for word, offset in words.items()
            if 0 < len(hits := self._word_positions.get(word, ())) <= _MAX_ANCHOR_HITS
        ]
        usable.sort()
        bucket_width = max(16, len(needle) // 4)
        votes: defaultdict[int, float] = defaultdict(float)
        first_seen: dict[int, int] = {}
        for count, word, offset in usable[:_MAX_ANCHOR_WORDS]:
            for hit in self._word_positions[word]:
                estimate = max(0, hit - offset)
                bucket = estimate // bucket_width
                # Rare words count more: one hit of a unique word beats many hits of "said".
                votes[bucket] += 1.0 / count
                first_seen.setdefault(bucket, estimate)
        ranked = sorted(votes, key=lambda bucket: -votes[bucket])[:_MAX_WINDOWS]
        return [first_seen[bucket] for bucket in ranked]

    def _ground_fuzzy(self, needle: str, threshold: float, near: int | None) -> Grounding:
        if len(needle) < MIN_FUZZY_CHARS:
            return Grounding(GroundingKind.NONE)
        norm = self._norm.text
        slack = len(needle) // 4 + 16
        windows = [
            (max(0, start - slack), start + len(needle) + slack)
            for start in self._anchor_starts(needle)
        ]
        best, best_seen = self._best_alignment(needle, windows, threshold, near)
        if best is None and len(needle) <= _FULL_SCAN_MAX_CHARS:
            # Short quotes made of common words give weak anchors; scanning everything is cheap.
            best, seen = self._best_alignment(needle, [(0, len(norm))], threshold, near)
            best_seen = max(best_seen, seen)
        if best is None:
            return Grounding(GroundingKind.NONE, score=best_seen)
        score, start, end = best
        original_start = self._norm.original_start(start)
        return self._found(GroundingKind.FUZZY, original_start, self._norm.original_end(end), score)

    def _best_alignment(
        self, needle: str, windows: list[tuple[int, int]], threshold: float, near: int | None
    ) -> tuple[tuple[float, int, int] | None, float]:
        """The best-scoring aligned span over ``windows`` at or above ``threshold``."""
        norm = self._norm.text
        best: tuple[float, int, int] | None = None
        best_seen = 0.0
        for window_start, window_end in windows:
            alignment = fuzz.partial_ratio_alignment(needle, norm[window_start:window_end])
            if alignment is None:
                continue
            best_seen = max(best_seen, alignment.score)
            if alignment.score < threshold - _REFINE_MARGIN:
                continue
            candidate = self._refine(
                needle,
                window_start + alignment.dest_start,
                window_start + alignment.dest_end,
                alignment.score,
            )
            best_seen = max(best_seen, candidate[0])
            if candidate[0] < threshold:
                continue
            if best is None or self._better(candidate, best, near):
                best = candidate
        return best, best_seen

    def _refine(self, needle: str, start: int, end: int, score: float) -> tuple[float, int, int]:
        """Snap an alignment to word boundaries, choosing the span most like the quote.

        partial_ratio aligns a span exactly as long as the quote, so when the document says
        more ("postpone" for "delay") it clips words; nearby word boundaries fix that.
        """
        norm = self._norm.text
        reach = min(len(needle) // 8 + 4, _MAX_REACH)
        starts = {start} | {
            p
            for p in range(max(0, start - reach), min(len(norm), start + reach + 1))
            if norm[p] != " " and (p == 0 or not norm[p - 1].isalnum() or not norm[p].isalnum())
        }
        ends = {end} | {
            e
            for e in range(max(1, end - reach), min(len(norm), end + reach) + 1)
            if norm[e - 1] != " "
            and (e == len(norm) or not norm[e].isalnum() or not norm[e - 1].isalnum())
        }
        # One pass for the start, then one for the end: linear, not quadratic, in the reach.
        best_ratio, best_start, best_end = -1.0, start, end
        for s in sorted(starts):
            if end - s >= len(needle) // 2 and (r := fuzz.ratio(needle, norm[s:end])) > best_ratio:
                best_ratio, best_start = r, s
        for e in sorted(ends):
            if e - best_start >= len(needle) // 2:
                if (r := fuzz.ratio(needle, norm[best_start:e])) > best_ratio:
                    best_ratio, best_end = r, e
        best = (max(score, best_ratio), best_start, best_end)
        _, start, end = best
        while start < end and norm[start] == " ":
            start += 1
        while end > start and norm[end - 1] == " ":
            end -= 1
        return best[0], start, end

    def _better(
        self, candidate: tuple[float, int, int], best: tuple[float, int, int], near: int | None
    ) -> bool:
        if abs(candidate[0] - best[0]) > 1e-9:
            return candidate[0] > best[0]
        if near is None:
            return candidate[1] < best[1]
        distance = abs(self._norm.original_start(candidate[1]) - near)
        return distance < abs(self._norm.original_start(best[1]) - near)


@lru_cache(maxsize=4)
def _cached_index(text: str, page_offsets: tuple[int, ...]) -> DocumentIndex:
    return DocumentIndex(text, page_offsets)


def document_index(text: str, page_offsets: list[int] | tuple[int, ...] = ()) -> DocumentIndex:
    """A (cached) DocumentIndex, so grounding many quotes of one document normalises it once."""
    return _cached_index(text, tuple(page_offsets))


def ground_quote(
    document_text: str,
    quote: str | None,
    page_offsets: list[int],
    *,
    fuzzy_threshold: float = 90.0,
    near: int | None = None,
) -> Grounding:
    """Locate ``quote`` in ``document_text``; with several exact hits, the one nearest ``near``."""
    if not quote or not quote.strip():
        return Grounding(GroundingKind.NONE)
    index = document_index(document_text, page_offsets)
    return index.ground(quote, fuzzy_threshold=fuzzy_threshold, near=near)
