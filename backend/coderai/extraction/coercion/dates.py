"""Read a date out of a model's answer as ISO 8601, keeping only the precision the text gives.

"2023" stays "2023" (year), "March 2023" becomes "2023-03" (month), "15 March 2023" becomes
"2023-03-15" (day): inventing a day the document never stated would be fabricating data.
Numeric dates are read day-first (the project language is English but most of the world writes
15/03/2023) unless only the month-first reading is a real date; when both readings are real
and differ the answer is flagged AMBIGUOUS_DATE. Fuzzy expressions ("early 2023", "Q1 2023",
"spring 2023") keep the year (or month) they name and are flagged.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["ParsedDate", "date_span", "parse_date"]

UNPARSEABLE_DATE = "UNPARSEABLE_DATE"
AMBIGUOUS_DATE = "AMBIGUOUS_DATE"
APPROXIMATE_DATE = "APPROXIMATE_DATE"
QUARTER = "QUARTER"
TWO_DIGIT_YEAR = "TWO_DIGIT_YEAR"
RANGE = "RANGE"
BOUND = "BOUND"
EXTRA_TEXT = "EXTRA_TEXT"

YEAR, MONTH, DAY = "year", "month", "day"

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
# Words that carry no date information and no doubt ("on 15 March", "the year 2023").
_NEUTRAL = frozenset(("the", "of", "on", "in", "year", "month", "day", "dated", "date", "at"))
_WEEKDAYS = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
     "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun")
)  # fmt: skip

_APPROXIMATE = re.compile(
    r"\b(?:early|mid|late|end of|beginning of|start of|middle of|around|about|circa|approx"
    r"(?:imately|\.)?|ca\.|c\.|spring|summer|autumn|fall|winter|first half|second half|h1|h2"
    r"|sometime in|some time in)(?![a-z])-?"
)
_BOUNDS = re.compile(r"\b(?:before|after|by|until|since|no later than|not before)(?![a-z])")
_QUARTER = re.compile(
    r"\b(?:q[1-4]|(?:first|second|third|fourth|1st|2nd|3rd|4th|last)\s+quarter)(?![a-z])"
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?(?:\s*(?:z|utc|gmt))?")
_DECADE = re.compile(r"(?:\b\d{2}|')?\d0'?s\b")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_RANGE_SEP = re.compile(r"\s+(?:to|until|through|and)\s+|\s*[-\u2013\u2014/]\s*")
_RANGE_INTRO = re.compile(r"^(?:between|from)\s+")

_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:t[\d:.]*(?:z|[+-]\d{2}:?\d{2})?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MY = re.compile(r"(\d{1,2})[-/.](\d{4})")
_Y = re.compile(r"(\d{4})")
_TOKENS = re.compile(r"[a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """An ISO 8601 date of year, month or day precision, or None with an error."""

    iso: str | None
    precision: str | None = None
    flags: tuple[str, ...] = ()
    error: str | None = None


def _iso(year: int, month: int | None = None, day: int | None = None) -> ParsedDate | None:
    if not 1 <= year <= 9999:
        return None
    if month is None:
        return ParsedDate(f"{year:04d}", YEAR)
    if not 1 <= month <= 12:
        return None
    if day is None:
        return ParsedDate(f"{year:04d}-{month:02d}", MONTH)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return ParsedDate(f"{year:04d}-{month:02d}-{day:02d}", DAY)


def _with(parsed: ParsedDate | None, *flags: str) -> ParsedDate | None:
    if parsed is None or not flags:
        return parsed
    return ParsedDate(parsed.iso, parsed.precision, (*parsed.flags, *flags), parsed.error)


def _full_year(digits: str) -> tuple[int, bool]:
    """A year from 2 or 4 digits; two digits follow POSIX strptime (69-99 → 1900s)."""
    if len(digits) == 4:
        return int(digits), False
    short = int(digits)
    return (1900 + short if short >= 69 else 2000 + short), True


def _numeric(first: str, second: str, year_digits: str) -> ParsedDate | None:
    """A dd/mm/yyyy-like date: day-first unless only month-first is a real date."""
    year, two_digit = _full_year(year_digits)
    a, b = int(first), int(second)
    day_first, month_first = _iso(year, b, a), _iso(year, a, b)
    extra = (TWO_DIGIT_YEAR,) if two_digit else ()
    if day_first is not None and month_first is not None and a != b:
        return _with(day_first, AMBIGUOUS_DATE, *extra)
    return _with(day_first or month_first, *extra)


def _numeric_match(text: str, search: bool) -> tuple[ParsedDate | None, re.Match[str]] | None:
    """Try the all-digit layouts, most specific first."""
    for pattern in (_ISO_DAY, _COMPACT, _YMD, _DMY, _YM, _MY, _Y):
        match = pattern.search(text) if search else pattern.fullmatch(text)
        if search and match is not None:
            # A searched layout must stand alone, not be part of a longer digit run.
            before = text[match.start() - 1] if match.start() else " "
            after = text[match.end()] if match.end() < len(text) else " "
            if before.isdigit() or after.isdigit():
                continue
        if match is None:
            continue
        groups = match.groups()
        if pattern is _DMY:
            return _numeric(*groups), match
        if pattern is _MY:
            return _iso(int(groups[1]), int(groups[0])), match
        return _iso(*(int(g) for g in groups)), match
    return None


def _with_month_name(month: int, numbers: list[str]) -> ParsedDate | None:
    years = [n for n in numbers if len(n) == 4]
    shorts = [n for n in numbers if len(n) <= 2]
    if len(years) + len(shorts) != len(numbers) or len(years) > 1:
        return None
    if years and not shorts:
        return _iso(int(years[0]), month)
    if years and len(shorts) == 1:
        return _iso(int(years[0]), month, int(shorts[0]))
    if not years and len(shorts) == 2:
        # "15 Mar 23": the day comes first, the two-digit year last.
        year, _ = _full_year(shorts[1])
        return _with(_iso(year, month, int(shorts[0])), TWO_DIGIT_YEAR)
    return None


def _core(text: str) -> ParsedDate | None:
    """Parse a cleaned, qualifier-free text holding (at most) one date."""
    numeric = _numeric_match(text, search=False)
    if numeric is not None:
        return numeric[0]
    tokens = _TOKENS.findall(text)
    # "may" (and "mar") name a month only beside a number: "It may be 2023" is not May 2023.
    month_words = {
        i
        for i, t in enumerate(tokens)
        if t in _MONTHS
        and (
            t not in ("may", "mar")
            or any(0 <= j < len(tokens) and tokens[j].isdigit() for j in (i - 1, i + 1))
        )
    }
    months = [_MONTHS[tokens[i]] for i in sorted(month_words)]
    numbers = [t for t in tokens if t.isdigit()]
    others = [
        t
        for i, t in enumerate(tokens)
        if t.isalpha() and i not in month_words and t not in _WEEKDAYS
    ]
    extra = (EXTRA_TEXT,) if others else ()
    if len(months) > 1:
        return None
    if months:
        return _with(_with_month_name(months[0], numbers), *extra)
    if not numbers:
        return None
    found = _numeric_match(text, search=True)
    if found is None or found[0] is None:
        return None
    parsed, match = found
    # Digits outside the matched layout mean a second date or a stray number: too unsure.
    if any(ch.isdigit() for ch in text[: match.start()] + text[match.end() :]):
        return None
    return _with(parsed, EXTRA_TEXT) if others or text.strip() != match.group() else parsed


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _TIME.sub(" ", text)
    text = _ORDINAL.sub(r"\1", text)
    text = re.sub(r"[,;()\[\]]", " ", text)
    return " ".join(text.split())


def _drop_words(text: str) -> str:
    words = [w for w in text.split() if w not in _NEUTRAL and w not in _WEEKDAYS]
    return " ".join(words)


def _parse_text(raw: str) -> ParsedDate:
    text = _clean(raw)
    if _DECADE.search(text):
        # No ISO precision coarser than a year exists; a decade is not a year.
        return ParsedDate(None, None, (UNPARSEABLE_DATE,), "a decade is not a date")
    flags: list[str] = []
    for pattern, flag in ((_QUARTER, QUARTER), (_APPROXIMATE, APPROXIMATE_DATE), (_BOUNDS, BOUND)):
        text, count = pattern.subn(" ", text)
        if count:
            flags.append(flag)
    # Abbreviation dots ("Mar.") go only now: "c." and "approx." were needed above.
    text = re.sub(r"(?<=[a-z])\.", " ", text)
    text = _drop_words(" ".join(text.split())).strip(" -/.")
    parsed = _core(text)
    if parsed is None:
        body = _RANGE_INTRO.sub("", text)
        for separator in _RANGE_SEP.finditer(body):
            start = _core(body[: separator.start()])
            end = _core(body[separator.end() :])
            if start is not None and end is not None:
                # A period ("2019-2020", "March to May 2023") is coded by where it starts.
                parsed = _with(start, RANGE)
                break
    if parsed is None:
        return ParsedDate(None, None, (UNPARSEABLE_DATE,), f"cannot read a date from {raw[:60]!r}")
    return ParsedDate(parsed.iso, parsed.precision, tuple(dict.fromkeys((*flags, *parsed.flags))))


def parse_date(raw: object) -> ParsedDate:
    """Read a date (ISO 8601 string, precision, flags) from a raw answer; never raises."""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        return ParsedDate(raw.isoformat(), DAY)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        return ParsedDate(None, None, (UNPARSEABLE_DATE,), f"cannot read a date from {raw!r}")
    return _parse_text(raw)


def date_span(iso: str) -> tuple[date, date] | None:
    """The first and last day covered by an ISO date of any precision ("2023" → whole year)."""
    parsed = parse_date(iso)
    if parsed.iso is None or parsed.flags:
        return None
    parts = [int(p) for p in parsed.iso.split("-")]
    year = parts[0]
    if len(parts) == 1:
        return date(year, 1, 1), date(year, 12, 31)
    month = parts[1]
    if len(parts) == 2:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, parts[2]), date(year, month, parts[2])
