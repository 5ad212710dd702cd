"""Locate a model's verbatim quote in the document text (docs/ARCHITECTURE.md,
"The path of a job", step 4).

A quote is looked for exactly, then in a normalised view of the text (case, whitespace,
typographic quotes, dashes, ligatures, accents, soft hyphens and hyphenated line breaks folded
away), then fuzzily. Offsets are always returned in the ORIGINAL text, so the reviewer's
highlight lands on the characters the document really contains.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from coderai.extraction.normalised_text import NormalisedText, normalise_for_match
from coderai.models.enums import GroundingKind

__all__ = ["DocumentIndex", "Grounding", "document_index", "ground_quote", "normalise_for_match"]

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
_MAX_REACH = 256
# Longer quotes are placed by their anchor words and scored with ratio, not partial_ratio.
_PARTIAL_MAX_CHARS = 300
# How far apart the pieces of an elided quote ("A ... B") may be, in normalised characters.
_MAX_ELISION_GAP = 5000

_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\[\u2026\]|(?:\.\s*){3,}|\u2026)\s*")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Grounding:
    """Where a quote was found: a half-open span [char_start, char_end) of the original text."""

    kind: GroundingKind
    char_start: int | None = None
    char_end: int | None = None
    page: int | None = None
    # 100 for EXACT, NORMALIZED and an elided quote ("A ... B") whose pieces were all found,
    # the rapidfuzz score (0-100) for other FUZZY matches, the best score seen for NONE.
    score: float = 0.0

    @property
    def found(self) -> bool:
        return self.kind is not GroundingKind.NONE


Window = tuple[int, int]  # char range of the text an answer was given from (its chunk)


def _distance(start: int, near: Window | None) -> int:
    """How far `start` lies outside the window (0 inside it, or with no window)."""
    if near is None:
        return 0
    low, high = near
    return max(low - start, 0, start - high)


def _nearest(candidates: list[int], near: Window | None) -> int:
    """The first occurrence inside the window, else the one closest to it."""
    return min(candidates, key=lambda start: (_distance(start, near), start))


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
        self._norm = NormalisedText(text)
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
        self, quote: str | None, *, fuzzy_threshold: float = 90.0, near: Window | None = None
    ) -> Grounding:
        """Find ``quote``: exact, then normalised, then elided pieces, then fuzzy, else NONE."""
        if not quote or not quote.strip():
            return Grounding(GroundingKind.NONE)
        stripped = quote.strip()
        exact = _all_occurrences(self.text, stripped)
        if exact:
            start = _nearest(exact, near)
            return self._found(GroundingKind.EXACT, start, start + len(stripped), 100.0)

        needle = normalise_for_match(stripped)
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

    def _ground_elided(self, quote: str, near: Window | None) -> Grounding | None:
        """Models shorten quotes with "..."; accept one when every piece is there, in order."""
        pieces = [normalise_for_match(p) for p in _ELLIPSIS.split(quote)]
        pieces = [p for p in pieces if p]
        if len(pieces) < 2:
            return None
        norm = self._norm.text
        firsts = _all_occurrences(norm, pieces[0])
        if not firsts:
            return None
        firsts.sort(key=lambda p: (_distance(self._norm.original_start(p), near), p))
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
        # Every hit of an anchor word votes for where the quote would start; rare words count
        # more (one hit of a unique word beats many hits of "said"). Nearby votes form a cluster.
        votes = sorted(
            (max(0, hit - offset), 1.0 / count)
            for count, word, offset in usable[:_MAX_ANCHOR_WORDS]
            for hit in self._word_positions[word]
        )
        tolerance = len(needle) // 8 + 16
        clusters: list[list[tuple[int, float]]] = []
        for estimate, weight in votes:
            if clusters and estimate - clusters[-1][0][0] <= tolerance:
                clusters[-1].append((estimate, weight))
            else:
                clusters.append([(estimate, weight)])
        clusters.sort(key=lambda cluster: -sum(weight for _, weight in cluster))
        return [_weighted_median(cluster) for cluster in clusters[:_MAX_WINDOWS]]

    def _ground_fuzzy(self, needle: str, threshold: float, near: Window | None) -> Grounding:
        if len(needle) < MIN_FUZZY_CHARS:
            return Grounding(GroundingKind.NONE)
        best, best_seen = self._best_alignment(needle, self._anchor_starts(needle), threshold, near)
        if best is None and len(needle) <= _FULL_SCAN_MAX_CHARS:
            # Short quotes made of common words give weak anchors; scanning everything is cheap.
            best, seen = self._best_alignment(needle, None, threshold, near)
            best_seen = max(best_seen, seen)
        if best is None:
            return Grounding(GroundingKind.NONE, score=best_seen)
        score, start, end = best
        original_start = self._norm.original_start(start)
        return self._found(GroundingKind.FUZZY, original_start, self._norm.original_end(end), score)

    def _best_alignment(
        self, needle: str, estimates: list[int] | None, threshold: float, near: Window | None
    ) -> tuple[tuple[float, int, int] | None, float]:
        """The best span at or above ``threshold`` near the estimated starts (None: anywhere)."""
        norm = self._norm.text
        best: tuple[float, int, int] | None = None
        best_seen = 0.0
        slack = len(needle) // 4 + 16
        for estimate in estimates if estimates is not None else [None]:
            if estimate is None:
                aligned = _aligned(needle, norm, 0)
            elif len(needle) <= _PARTIAL_MAX_CHARS:
                window_start = max(0, estimate - slack)
                window = norm[window_start : estimate + len(needle) + slack]
                aligned = _aligned(needle, window, window_start)
            else:
                # partial_ratio grows with the square of a long quote; the anchors already
                # place it, so score the span they point at and let _refine fix its edges.
                end = min(len(norm), estimate + len(needle))
                aligned = (fuzz.ratio(needle, norm[estimate:end]), estimate, end)
            if aligned is None:
                continue
            score, start, end = aligned
            best_seen = max(best_seen, score)
            if score < threshold - _REFINE_MARGIN:
                continue
            candidate = self._refine(needle, start, end, score)
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
            long_enough = e - best_start >= len(needle) // 2
            if long_enough and (r := fuzz.ratio(needle, norm[best_start:e])) > best_ratio:
                best_ratio, best_end = r, e
        best = (max(score, best_ratio), best_start, best_end)
        _, start, end = best
        while start < end and norm[start] == " ":
            start += 1
        while end > start and norm[end - 1] == " ":
            end -= 1
        return best[0], start, end

    def _better(
        self, candidate: tuple[float, int, int], best: tuple[float, int, int], near: Window | None
    ) -> bool:
        if abs(candidate[0] - best[0]) > 1e-9:
            return candidate[0] > best[0]
        start = self._norm.original_start
        return (_distance(start(candidate[1]), near), candidate[1]) < (
            _distance(start(best[1]), near),
            best[1],
        )


def _aligned(needle: str, haystack: str, offset: int) -> tuple[float, int, int] | None:
    alignment = fuzz.partial_ratio_alignment(needle, haystack)
    if alignment is None:
        return None
    return alignment.score, offset + alignment.dest_start, offset + alignment.dest_end


def _weighted_median(votes: list[tuple[int, float]]) -> int:
    half = sum(weight for _, weight in votes) / 2
    running = 0.0
    for estimate, weight in votes:
        running += weight
        if running >= half:
            return estimate
    return votes[-1][0]


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
    near: Window | None = None,
) -> Grounding:
    """Locate ``quote`` in ``document_text``; with several hits, the first inside the ``near``
    window (an answer's chunk), else the one closest to it."""
    if not quote or not quote.strip():
        return Grounding(GroundingKind.NONE)
    index = document_index(document_text, page_offsets)
    return index.ground(quote, fuzzy_threshold=fuzzy_threshold, near=near)
