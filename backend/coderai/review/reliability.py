"""Inter-coder reliability of one variable: Krippendorff's alpha with a bootstrap interval.

Two or more coders (people, or the model counted as one more coder) code the same units
independently; a methods section then reports how far their values agree beyond chance. Alpha
is the statistic for that: it takes any number of coders, tolerates missing values and has a
distance for each level of measurement. This module turns a coders x units table of raw values
into numbers the `krippendorff` package can read, calls it, and adds what a report needs next
to alpha: units, pairable values, percent agreement, a 95 % bootstrap interval with the chance
of alpha falling below .800 and .667 (Hayes & Krippendorff 2007), Cohen's and Fleiss' kappa
where they apply, and the conventional reading. No database and no I/O here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeAlias, cast

import krippendorff
import numpy as np
import numpy.typing as npt

from coderai.models.enums import VariableType

RawValue: TypeAlias = str | int | float | bool | date | None
Floats: TypeAlias = npt.NDArray[np.float64]
Counts: TypeAlias = npt.NDArray[np.int64]

# Krippendorff's (2004) conventional thresholds for drawing conclusions from coded data.
RELIABLE = 0.800
TENTATIVE = 0.667
DEFAULT_DRAWS = 1000
DEFAULT_SEED = 0

_EPOCH = date(1970, 1, 1).toordinal()
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class Level(StrEnum):
    """Stevens' level of measurement: which differences between two values count, and how much."""

    NOMINAL = "NOMINAL"
    ORDINAL = "ORDINAL"
    INTERVAL = "INTERVAL"
    RATIO = "RATIO"


# Days since an arbitrary epoch have no true zero, and free text has no order.
_LEVELS: dict[VariableType, frozenset[Level]] = {
    VariableType.TEXT: frozenset({Level.NOMINAL}),
    VariableType.BOOLEAN: frozenset({Level.NOMINAL}),
    VariableType.CATEGORY: frozenset({Level.NOMINAL, Level.ORDINAL}),
    VariableType.DATE: frozenset({Level.NOMINAL, Level.ORDINAL, Level.INTERVAL}),
    VariableType.NUMBER: frozenset(Level),
}


class UnreadableValue(ValueError):
    """A coded value that cannot be read on the variable's scale (a typo, not a missing value)."""


@dataclass(frozen=True)
class Scale:
    """How one variable's values become numbers: its type, its level and, for ordered
    categories, the categories from lowest to highest rank."""

    variable_type: VariableType
    level: Level
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in _LEVELS[self.variable_type]:
            raise ValueError(f"a {self.variable_type} variable cannot be {self.level}")
        names = [_text(c) for c in self.categories]
        if self.ranked != bool(names) or len(set(names)) != len(names):
            raise ValueError("ordered categories, and only they, need distinct category names")

    @property
    def ranked(self) -> bool:
        """Ranks come from the category list rather than from the values themselves."""
        return self.variable_type is VariableType.CATEGORY and self.level is Level.ORDINAL


def scale_for(
    variable_type: VariableType | str, *, categories: Sequence[str] = (), ordered: bool = False
) -> Scale:
    """The usual scale of a CoderAI variable: numbers and dates interval, the rest nominal, and
    categories ordinal when the caller says `categories` are listed from lowest to highest."""
    kind = VariableType(variable_type)
    if ordered and kind is VariableType.CATEGORY:
        return Scale(kind, Level.ORDINAL, tuple(categories))
    if kind in (VariableType.NUMBER, VariableType.DATE):
        return Scale(kind, Level.INTERVAL)
    return Scale(kind, Level.NOMINAL)


@dataclass(frozen=True)
class Encoded:
    """Reliability data as numbers: `values[coder, unit]`, NaN where missing, and the ordered
    domain of possible numbers (ordered categories keep their unused ranks)."""

    values: Floats
    domain: Floats

    def value_counts(self) -> Counts:
        """How many coders gave each domain value to each unit (units x domain)."""
        coder, unit = np.nonzero(~np.isnan(self.values))
        position = np.searchsorted(self.domain, self.values[coder, unit])
        counts = np.zeros((self.values.shape[1], len(self.domain)), dtype=np.int64)
        np.add.at(counts, (unit, position), 1)
        return counts


@dataclass(frozen=True)
class Bootstrap:
    """Percentile interval of alpha over `draws` resamples of the pairable units, and the share
    of resamples below each threshold (q in Hayes & Krippendorff). Resamples without variation
    have no alpha; they are left out and counted in `undefined_draws` (no interval at all when
    every resample is such)."""

    low: float
    high: float
    p_below_reliable: float
    p_below_tentative: float
    draws: int
    undefined_draws: int
    seed: int


@dataclass(frozen=True)
class Reliability:
    """Alpha (None with `undefined_reason` when undefined) and what a report states beside it.

    `pairable_values` counts values in units that two or more coders coded, the only values
    alpha uses. Cohen's kappa is for exactly two coders (over units both coded), Fleiss' kappa
    for every coder coding every unit; both are None off the nominal level, where they do not
    apply, or when chance agreement is 1."""

    level: Level
    alpha: float | None
    undefined_reason: str | None
    coders: int
    units: int
    pairable_units: int
    pairable_values: int
    percent_agreement: float | None
    bootstrap: Bootstrap | None
    cohens_kappa: float | None
    fleiss_kappa: float | None

    @property
    def reading(self) -> str:
        if self.alpha is None:
            return f"undefined: {self.undefined_reason}"
        return reading(self.alpha)


def reading(value: float) -> str:
    """The conventional reading of an alpha (Krippendorff 2004, p. 241)."""
    if value >= RELIABLE:
        return "reliable"
    if value >= TENTATIVE:
        return "tentative conclusions only"
    return "unreliable"


def encode(data: Sequence[Sequence[RawValue]], scale: Scale) -> Encoded:
    """Coders x units of raw values as numbers: nominal values become category codes, ordinal
    ones ranks, interval and ratio ones floats (dates: days since 1970-01-01). None, NaN and
    blank strings are missing. Raises UnreadableValue on a value that is neither."""
    width = len(data[0]) if data else 0
    if any(len(row) != width for row in data):
        raise ValueError("every coder needs a value (or None) for every unit")
    try:
        keys = [[_key(raw, scale) for raw in row] for row in data]
    except (TypeError, ValueError) as error:
        raise UnreadableValue(str(error)) from None
    observed = {k for row in keys for k in row if k is not None}
    if scale.level in (Level.INTERVAL, Level.RATIO):
        numbers = {k: float(k) for k in observed}
    elif scale.ranked:
        ranks = [_text(c) for c in scale.categories]
        unknown = sorted(str(k) for k in observed if k not in ranks)
        if unknown:
            raise UnreadableValue(f"not among the ordered categories: {', '.join(unknown)}")
        numbers = {k: float(ranks.index(str(k))) for k in observed}
    else:
        # Sorted so that codes, and thus ordinal ranks of numbers and dates, follow the values.
        numbers = {k: float(i) for i, k in enumerate(sorted(observed))}
    values = np.array(
        [[math.nan if k is None else numbers[k] for k in row] for row in keys], dtype=np.float64
    ).reshape(len(data), width)
    if scale.ranked:
        domain = np.arange(len(scale.categories), dtype=np.float64)
    else:
        domain = np.array(sorted(numbers.values()), dtype=np.float64)
    return Encoded(values, domain)


def alpha(
    data: Sequence[Sequence[RawValue]],
    scale: Scale,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> Reliability:
    """Krippendorff's alpha of coders x units `data` on `scale`, with its context for a report.

    Alpha is None, with a reason, when it is undefined: fewer than two coders, no unit coded by
    two coders, or no variation among the pairable values (expected disagreement is zero)."""
    encoded = encode(data, scale)
    counts = encoded.value_counts()
    per_unit = counts.sum(axis=1)
    pairable = counts[per_unit >= 2]
    coders, units = encoded.values.shape
    value, reason = _point(encoded, scale.level, pairable, coders)
    interval = None
    if value is not None and draws > 0:
        interval = _bootstrap(pairable, encoded.domain, scale.level, draws, seed)
    return Reliability(
        level=scale.level,
        alpha=value,
        undefined_reason=reason,
        coders=coders,
        units=units,
        pairable_units=len(pairable),
        pairable_values=int(pairable.sum()),
        percent_agreement=_percent_agreement(pairable),
        bootstrap=interval,
        cohens_kappa=_cohen(encoded) if scale.level is Level.NOMINAL else None,
        fleiss_kappa=_fleiss(counts, coders) if scale.level is Level.NOMINAL else None,
    )


def _text(raw: str) -> str:
    return " ".join(raw.split()).casefold()


def _key(raw: RawValue, scale: Scale) -> str | float | None:
    """The comparable form of one raw value, or None when it is missing."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, str) and not raw.strip():
        return None
    kind = scale.variable_type
    if kind is VariableType.BOOLEAN:
        if isinstance(raw, str) and _text(raw) in ("true", "false"):
            return _text(raw)
        if isinstance(raw, bool):
            return "true" if raw else "false"
        raise ValueError(f"not a boolean: {raw!r}")
    if kind is VariableType.DATE:
        return float(_date(raw).toordinal() - _EPOCH)
    if kind is VariableType.NUMBER:
        if isinstance(raw, bool | date):
            raise TypeError(f"not a number: {raw!r}")
        number = float(raw)
        if not math.isfinite(number):
            raise ValueError(f"not a finite number: {raw!r}")
        if scale.level is Level.RATIO and number < 0:
            # The ratio distance ((a-b)/(a+b))^2 assumes a true zero below every value.
            raise ValueError(f"a ratio scale has no negative values: {raw!r}")
        return number
    if isinstance(raw, bool | date):
        raise TypeError(f"not text: {raw!r}")
    return _text(str(raw))


def _date(raw: RawValue) -> date:
    if isinstance(raw, date):
        return raw
    match = _ISO_DATE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    try:
        if match is not None:
            year, month, day = (int(part) if part else 1 for part in match.groups())
            return date(year, month, day)
    except ValueError:  # a month 13 or a 30 February
        pass
    raise ValueError(f"not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY): {raw!r}")


def _point(
    encoded: Encoded, level: Level, pairable: Counts, coders: int
) -> tuple[float | None, str | None]:
    # The package raises or returns NaN on these, so they are named before calling it.
    if coders < 2:
        return None, "alpha needs at least two coders"
    if pairable.sum() < 2:
        return None, "no unit was coded by two or more coders"
    if np.count_nonzero(pairable.sum(axis=0)) < 2:
        return None, "no variation: every pairable value is the same, so agreement is not tested"
    value = _library_alpha(level, value_domain=encoded.domain, reliability_data=encoded.values)
    if value is None:
        return None, "expected disagreement is zero"
    return value, None


def _library_alpha(level: Level, **data: Floats | Counts) -> float | None:
    # Were expected disagreement still zero, the package would divide 0 by 0: keep NaN inside.
    with np.errstate(all="ignore"):
        value = krippendorff.alpha(
            level_of_measurement=cast(krippendorff.LevelOfMeasurement, level.value.lower()), **data
        )
    return float(value) if math.isfinite(value) else None


def _bootstrap(
    pairable: Counts, domain: Floats, level: Level, draws: int, seed: int
) -> Bootstrap | None:
    """Resample whole pairable units, as the unit is the sampling unit of a reliability study:
    values of one unit stay together. (Hayes & Krippendorff's macro resamples pairs from the
    coincidence matrix instead; unit resampling also lets expected disagreement vary.) Units
    with fewer than two values add nothing to alpha, so leaving them out changes nothing."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(pairable), size=(draws, len(pairable)))
    alphas: list[float] = []
    for pick in picks:
        sample = pairable[pick]
        # The package's cost is units x values^2, and values absent from a resample count for
        # nothing at any level (ordinal ranks weigh values by their frequency), so drop them.
        present = sample.sum(axis=0) > 0
        if np.count_nonzero(present) < 2:
            continue
        value = _library_alpha(level, value_domain=domain[present], value_counts=sample[:, present])
        if value is not None:
            alphas.append(value)
    if not alphas:
        return None
    found = np.array(alphas)
    low, high = np.quantile(found, [0.025, 0.975])
    return Bootstrap(
        low=float(low),
        high=float(high),
        p_below_reliable=float(np.mean(found < RELIABLE)),
        p_below_tentative=float(np.mean(found < TENTATIVE)),
        draws=len(alphas),
        undefined_draws=draws - len(alphas),
        seed=seed,
    )


def _percent_agreement(pairable: Counts) -> float | None:
    """Share of agreeing pairs among all pairs of values given to the same unit."""
    if not len(pairable):
        return None
    agreeing = (pairable * (pairable - 1)).sum()
    per_unit = pairable.sum(axis=1)
    return float(agreeing / (per_unit * (per_unit - 1)).sum())


def _cohen(encoded: Encoded) -> float | None:
    # kappa = (p_o - p_e) / (1 - p_e): p_o the share of shared units on which the two agree,
    # p_e the chance agreement from each coder's own marginal distribution.
    if encoded.values.shape[0] != 2:
        return None
    first, second = encoded.values[:, ~np.isnan(encoded.values).any(axis=0)]
    if not len(first):
        return None
    observed = float(np.mean(first == second))
    expected = sum(float(np.mean(first == v) * np.mean(second == v)) for v in encoded.domain)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)


def _fleiss(counts: Counts, coders: int) -> float | None:
    # Fleiss (1971): P_i = (sum_j n_ij^2 - n) / (n(n-1)) is unit i's pairwise agreement,
    # p_j the overall share of category j; kappa = (mean P_i - sum p_j^2) / (1 - sum p_j^2).
    if coders < 2 or not len(counts) or (counts.sum(axis=1) != coders).any():
        return None
    observed = float(((counts**2).sum(axis=1) - coders).mean() / (coders * (coders - 1)))
    shares = counts.sum(axis=0) / counts.sum()
    expected = float((shares**2).sum())
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)
