"""Read a number out of a model's answer: separators, scale words, currencies, percentages, ranges.

Decisions worth knowing:
- "1,234" is one thousand two hundred and thirty-four (the project language is English) and
  "1.234" is one point two three four; "1.234,5", "1.234.567" and "3,5" are read the European way
  because no English reading exists.
- A range ("40-50", "between 40 and 50") becomes its midpoint, flagged RANGE.
- Single-letter scales "m" and "b" mean million/billion only beside a currency ("€3m"), because
  "5m" alone is as likely five metres; "k" means thousand when attached to the digits ("5k").
- Arithmetic is done in Decimal so "12.4 million" is exactly 12400000.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

__all__ = ["ParsedNumber", "parse_number", "to_json_number"]

NOT_A_NUMBER = "NOT_A_NUMBER"
RANGE = "RANGE"
APPROXIMATE = "APPROXIMATE"
BOUND = "BOUND"
ACCOUNTING_NEGATIVE = "ACCOUNTING_NEGATIVE"
EXTRA_TEXT = "EXTRA_TEXT"
MULTIPLE_NUMBERS = "MULTIPLE_NUMBERS"

# Integers beyond this lose precision in JavaScript clients; they travel as floats instead.
_MAX_EXACT_INT = 10**15


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """A number read from an answer, or None with an error."""

    value: int | float | None
    unit: str | None = None
    flags: tuple[str, ...] = ()
    error: str | None = None


@dataclass(slots=True)
class _Quantity:
    amount: Decimal
    scale: int | None = None
    currency: str | None = None
    percent: bool = False
    unit: str | None = None
    flags: list[str] = field(default_factory=list)
    leading_text: bool = False
    trailing_text: bool = False


_CURRENCY_SYMBOLS = {
    "us$": "USD", "a$": "AUD", "c$": "CAD", "hk$": "HKD", "r$": "BRL", "$": "USD", "€": "EUR",
    "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₦": "NGN",
}  # fmt: skip
_CURRENCY_CODES = (
    "usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "nzd", "cny", "inr", "brl", "zar", "sek",
    "nok", "dkk", "pln", "mxn", "krw", "rub", "try", "hkd", "sgd", "kes", "ngn", "czk", "huf",
    "ils",
)  # fmt: skip
# "pounds" alone is as often a weight as a currency, so only "pounds sterling" counts.
_CURRENCY_NAMES = {
    "dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP",
    "sterling": "GBP", "yen": "JPY", "rupees": "INR", "rupee": "INR", "rmb": "CNY", "yuan": "CNY",
}  # fmt: skip
_SYMBOL_PATTERN = "|".join(re.escape(s) for s in sorted(_CURRENCY_SYMBOLS, key=len, reverse=True))
_CODE_PATTERN = "|".join(sorted(_CURRENCY_CODES))
_NAME_PATTERN = "|".join(sorted(_CURRENCY_NAMES, key=len, reverse=True))
_CURRENCY_BEFORE = re.compile(rf"(?:{_SYMBOL_PATTERN}|\b(?:{_CODE_PATTERN}|rmb)\b)\s*$")
_CURRENCY_AFTER = re.compile(rf"\s*(?:{_SYMBOL_PATTERN}|\b(?:{_CODE_PATTERN}|{_NAME_PATTERN})\b)")
_RANGE_END_START = re.compile(rf"[-+]?\s*(?:{_SYMBOL_PATTERN}|(?:{_CODE_PATTERN})\b)?\s*[-+]?\d")

_SCALES = {
    "thousand": 10**3, "k": 10**3, "lakh": 10**5, "lakhs": 10**5, "million": 10**6,
    "millions": 10**6, "mn": 10**6, "mln": 10**6, "mio": 10**6, "m": 10**6, "crore": 10**7,
    "crores": 10**7, "billion": 10**9, "billions": 10**9, "bn": 10**9, "bln": 10**9, "b": 10**9,
    "trillion": 10**12, "tn": 10**12, "trn": 10**12,
}  # fmt: skip
_SCALE_AFTER = re.compile(
    r"(\s*)(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")(?![a-z])"
)
_PERCENT_AFTER = re.compile(r"\s*(?:%|percent\b|per\s?cent\b|pct\b)")
_BOUND_AFTER = re.compile(r"\s*(?:\+|or more\b|or fewer\b|or less\b|or above\b|or over\b)")
_APPROX_AFTER = re.compile(r"\s*(?:or so\b|approx(?:imately|\.)?|roughly\b)")

_APPROX_BEFORE = re.compile(
    r"(?:(?:approximately|approx\.?|about|around|roughly|circa|ca\.|c\.|nearly|almost|some"
    r"|an estimated|estimated|est\.|close to|just over|just under|an average of|on average)"
    r"(?![a-z])|~|≈)\s*"
)
_BOUND_BEFORE = re.compile(
    r"(?:(?:more than|over|above|greater than|at least|in excess of|less than|fewer than|under"
    r"|below|at most|up to|no more than|not more than)(?![a-z])|>=|<=|≥|≤|>|<)\s*"
)
_RANGE_INTRO = re.compile(r"(?:between|from)\s+")
_RANGE_SEP = re.compile(r"\s*(?:-|\u2013|\u2014|\bto\b|\band\b|\bthrough\b)\s*")
_LABEL = re.compile(r"[a-z][\w ]{0,30}[:=]\s*$")
# Trailing words that start a phrase, not a unit: "one of the sites", "40 were enrolled".
_NOT_A_UNIT = frozenset(
    ("of", "in", "the", "a", "an", "was", "were", "is", "are", "and", "or", "for", "to", "at",
     "on", "by", "with", "from", "that", "which", "who", "as")
)  # fmt: skip

# A digit group: space- or apostrophe-grouped thousands first, else digits with , and . inside.
_NUMBER = re.compile(
    r"(?<![\w.,])(?:(?P<grouped>\d{1,3}(?:[ '\u2019]\d{3}(?!\d))+(?:[.,]\d+)?)"
    r"|(?P<plain>\d+(?:[.,]\d+)*|[.,]\d+)(?:e(?P<exponent>[-+]?\d{1,3})(?![\w]))?)"
)
_LOOSE_DIGIT = re.compile(r"(?<![a-z])\d")

_SMALL_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_SMALL = {word: value for value, word in enumerate(_SMALL_WORDS)}
_TENS = {
    word: 10 * (index + 2)
    for index, word in enumerate(
        ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    )
}
_WORD_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_NUMBER_WORD = re.compile(r"[a-z]+")


def to_json_number(amount: Decimal) -> int | float:
    """An int when the amount is whole (and small enough to stay exact in JSON), else a float."""
    if amount == amount.to_integral_value() and abs(amount) < _MAX_EXACT_INT:
        return int(amount)
    return float(amount)


def _digits_value(token: str, grouped: bool) -> Decimal | None:
    """Interpret the separators of one digit group; None when no reading is consistent."""
    if grouped:
        # Space/apostrophe thousands: any remaining , or . can only be the decimal mark.
        token = token.replace(" ", "").replace("'", "").replace("\u2019", "").replace(",", ".")
        return Decimal(token)
    commas, dots = token.count(","), token.count(".")
    if commas and dots:
        decimal_mark = "," if token.rfind(",") > token.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        whole, _, fraction = token.rpartition(decimal_mark)
        if thousands in fraction or not _valid_groups(whole.split(thousands)):
            return None
        return Decimal(whole.replace(thousands, "") + "." + fraction)
    if commas or dots:
        mark = "," if commas else "."
        parts = token.split(mark)
        if len(parts) > 2:
            return Decimal("".join(parts)) if _valid_groups(parts) else None
        whole, fraction = parts
        if mark == "," and len(fraction) == 3 and _valid_groups(parts):
            return Decimal(whole + fraction)
        return Decimal((whole or "0") + "." + fraction)
    return Decimal(token)


def _valid_groups(groups: list[str]) -> bool:
    head, *rest = groups
    return 1 <= len(head) <= 3 and head != "0" and all(len(g) == 3 for g in rest)


def _number_words(text: str) -> tuple[Decimal, int, int] | None:
    """The first run of English number words ("twenty-five", "a dozen"), with its span."""
    tokens = list(_NUMBER_WORD.finditer(text))
    for index, first in enumerate(tokens):
        word = first.group()
        if word not in _SMALL and word not in _TENS and word not in ("a", "dozen"):
            continue
        total, current, last, end, used = 0, 0, "", first.start(), 0
        for token in tokens[index:]:
            between = text[end : token.start()]
            if used and between.strip(" -"):
                break
            word, kind = token.group(), ""
            if word in _SMALL:
                kind = "small"
                if last in ("small", "tens") and not (last == "tens" and 0 < _SMALL[word] < 10):
                    break
                current += _SMALL[word]
            elif word in _TENS:
                kind = "tens"
                if last in ("small", "tens"):
                    break
                current += _TENS[word]
            elif word == "hundred" and last in ("small", "a"):
                kind, current = "hundred", current * 100 or 100
            elif word == "dozen" and last in ("small", "a", ""):
                kind, current = "dozen", (current or 1) * 12
            elif word in _WORD_SCALES and last in ("small", "tens", "hundred", "a", "dozen"):
                kind, total, current = "scale", total + (current or 1) * _WORD_SCALES[word], 0
            elif word == "a" and not used:
                kind = "a"
            elif word == "and" and last in ("hundred", "scale"):
                kind = "and"
            else:
                break
            last, end, used = kind, token.end(), used + 1
        if last in ("a", "and"):
            continue
        if used:
            return Decimal(total + current), first.start(), end
    return None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-").casefold()
    return " ".join(text.split())


def _strip_qualifiers(text: str, flags: list[str]) -> str:
    while True:
        if match := _APPROX_BEFORE.match(text):
            flags.append(APPROXIMATE)
        elif match := _BOUND_BEFORE.match(text):
            flags.append(BOUND)
        else:
            return text
        text = text[match.end() :]


def _quantity(text: str) -> _Quantity | None:
    """One number with its currency, scale, percent sign and unit; None when there is none."""
    match = _NUMBER.search(text)
    if match is not None:
        grouped = match.group("grouped")
        try:
            amount = _digits_value(grouped or match.group("plain"), grouped is not None)
        except InvalidOperation:
            amount = None
        if amount is None:
            return None
        if match.group("exponent"):
            amount = amount.scaleb(int(match.group("exponent")))
        start, end = match.span()
    else:
        spelled = _number_words(text)
        if spelled is None:
            return None
        amount, start, end = spelled
    quantity = _Quantity(amount)
    prefix, suffix = text[:start], text[end:]

    negative = False
    prefix = prefix.rstrip()
    if prefix.endswith(("-", "+")):
        negative, prefix = prefix.endswith("-"), prefix[:-1].rstrip()
    if currency := _CURRENCY_BEFORE.search(prefix):
        quantity.currency = _currency_code(currency.group().strip())
        prefix = prefix[: currency.start()].rstrip()
        if prefix.endswith(("-", "+")):
            negative, prefix = prefix.endswith("-"), prefix[:-1].rstrip()
    if prefix and not _LABEL.fullmatch(prefix):
        quantity.leading_text = True

    if scale := _SCALE_AFTER.match(suffix):
        word = scale.group(2)
        after = suffix[scale.end() :]
        currency_after = _CURRENCY_AFTER.match(after)
        has_currency = bool(quantity.currency or currency_after)
        # "5m" may be metres and "5 k" a typo; single letters scale only beside money.
        if not has_currency and (word in ("m", "b") or (word == "k" and scale.group(1))):
            scale = None
        if scale is not None:
            quantity.scale = _SCALES[word]
            suffix = after
    if percent := _PERCENT_AFTER.match(suffix):
        quantity.percent, suffix = True, suffix[percent.end() :]
    if currency_after := _CURRENCY_AFTER.match(suffix):
        quantity.currency = quantity.currency or _currency_code(currency_after.group().strip())
        suffix = suffix[currency_after.end() :]
    if bound := _BOUND_AFTER.match(suffix):
        quantity.flags.append(BOUND)
        suffix = suffix[bound.end() :]
    elif approx := _APPROX_AFTER.match(suffix):
        quantity.flags.append(APPROXIMATE)
        suffix = suffix[approx.end() :]

    rest = suffix.strip(" .,;:!?)(-")
    if rest:
        quantity.trailing_text = True
        long_text = len(rest.split()) > 3 or len(rest) > 40
        if _LOOSE_DIGIT.search(rest):
            quantity.flags.append(MULTIPLE_NUMBERS)
        elif long_text and not (quantity.percent or quantity.currency):
            quantity.flags.append(EXTRA_TEXT)
        unit_words = re.findall(r"[^\W\d_][\w/\u00b2\u00b3.-]*", rest)
        money_or_share = quantity.percent or quantity.currency
        if unit_words and unit_words[0] not in _NOT_A_UNIT and not money_or_share:
            clean = not long_text and MULTIPLE_NUMBERS not in quantity.flags
            quantity.unit = rest if clean else unit_words[0]
        elif not money_or_share and not quantity.flags:
            quantity.flags.append(EXTRA_TEXT)
    if negative:
        quantity.amount = -quantity.amount
    return quantity


def _currency_code(token: str) -> str:
    token = token.casefold()
    if token in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[token]
    if token in _CURRENCY_NAMES:
        return _CURRENCY_NAMES[token]
    return "CNY" if token == "rmb" else token.upper()


def _scaled(quantity: _Quantity, scale: int | None) -> Decimal:
    return quantity.amount * (scale or 1)


def _unit_of(*quantities: _Quantity) -> str | None:
    for quantity in quantities:
        if quantity.percent:
            return "%"
    for quantity in quantities:
        if quantity.currency:
            return quantity.currency
    for quantity in reversed(quantities):
        if quantity.unit:
            return quantity.unit
    return None


def _range(text: str) -> tuple[_Quantity, _Quantity] | None:
    """Split "40-50", "3 to 5 million", "between 40 and 50" into two quantities."""
    spelled = _number_words(text)
    for separator in _RANGE_SEP.finditer(text):
        if separator.start() == 0:
            continue
        if spelled and spelled[1] <= separator.start() and separator.end() <= spelled[2]:
            continue  # "twenty-five", "one hundred and five" are one number
        left, right = text[: separator.start()], text[separator.end() :]
        low, high = _quantity(left), _quantity(right)
        if low is None or high is None or low.leading_text or high.leading_text:
            continue
        if low.trailing_text or low.flags or high.flags:
            continue
        # The right side must begin with its number (or currency), not with words.
        right_words = _number_words(right)
        if _RANGE_END_START.match(right) or (right_words is not None and right_words[1] == 0):
            return low, high
    return None


def _parse_text(text: str) -> ParsedNumber:
    cleaned = _clean(text)
    flags: list[str] = []
    accounting = re.fullmatch(r"\((.+)\)", cleaned)
    if accounting:
        inner = _quantity(accounting.group(1).strip())
        if inner is not None and not (inner.leading_text or inner.trailing_text) and inner.amount:
            value = to_json_number(-_scaled(inner, inner.scale))
            return ParsedNumber(value, _unit_of(inner), (ACCOUNTING_NEGATIVE,))
    body = _strip_qualifiers(cleaned, flags)
    ranged_body = body
    if intro := _RANGE_INTRO.match(body):
        ranged_body = body[intro.end() :]
    pair = _range(ranged_body)
    if pair is not None:
        low, high = pair
        # "3-5 million": the scale written once applies to both ends.
        scale = high.scale or low.scale
        midpoint = (_scaled(low, low.scale or scale) + _scaled(high, scale)) / 2
        flags.append(RANGE)
        return ParsedNumber(to_json_number(midpoint), _unit_of(low, high), _unique(flags))
    quantity = _quantity(body)
    if quantity is None:
        return ParsedNumber(None, None, (NOT_A_NUMBER,), f"no number found in {text[:60]!r}")
    flags.extend(quantity.flags)
    if quantity.leading_text:
        flags.append(EXTRA_TEXT)
    value = to_json_number(_scaled(quantity, quantity.scale))
    return ParsedNumber(value, _unit_of(quantity), _unique(flags))


def _unique(flags: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(flags))


def parse_number(raw: object) -> ParsedNumber:
    """Read a number (with unit and flags) from a raw answer; never raises."""
    if isinstance(raw, bool):
        return ParsedNumber(None, None, (NOT_A_NUMBER,), "a boolean is not a number")
    if isinstance(raw, int):
        return ParsedNumber(raw if abs(raw) < _MAX_EXACT_INT else float(raw))
    if isinstance(raw, float | Decimal):
        if not math.isfinite(raw):
            return ParsedNumber(None, None, (NOT_A_NUMBER,), "the number is not finite")
        return ParsedNumber(to_json_number(Decimal(raw)))
    if not isinstance(raw, str):
        return ParsedNumber(None, None, (NOT_A_NUMBER,), f"cannot read a number from {raw!r}")
    try:
        return _parse_text(raw)
    except (InvalidOperation, ValueError, OverflowError) as exc:
        return ParsedNumber(None, None, (NOT_A_NUMBER,), f"cannot read a number: {exc}")
