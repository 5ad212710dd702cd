"""A normalised view of a text that still knows where each character came from.

Grounding compares a model's quote with the document after folding away what models and PDF
extraction change without changing meaning: case, runs of whitespace, typographic quotes,
dashes, ligatures (one glyph for "fi"), accents, soft hyphens and hyphenated line breaks.
The view keeps a piecewise map back to original positions, so a match found in the view is
reported in the original text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache

__all__ = ["NormalisedText", "normalise_for_match"]

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
    rf"|(?P<other>[^\x20-\x7e\s{_DASH_CLASS}]+)"  # other non-ASCII runs: folded per character
)


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


class NormalisedText:
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
            run = match.group()
            pieces = [_fold_char(char) for char in run]
            if all(len(piece) == 1 and piece != " " for piece in pieces):
                # The common case (accented or non-Latin letters): one character each way.
                linear(start)
                parts.append("".join(pieces))
                length += len(run)
                last_space = False
                continue
            for offset, folded in enumerate(pieces):
                if not folded:
                    continue
                if folded == " ":
                    if not last_space:
                        block(start + offset, start + offset + 1)
                        parts.append(" ")
                        length += 1
                        last_space = True
                    continue
                if len(folded) == 1:
                    linear(start + offset)
                else:
                    block(start + offset, start + offset + 1)
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
        """The original offset of normalised character ``position``."""
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


def normalise_for_match(text: str) -> str:
    """The case-, whitespace-, punctuation-variant-folded form used for NORMALIZED grounding."""
    return NormalisedText(text).text.strip()
