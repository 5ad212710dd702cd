"""Token usage and what it costs: provider-reported usage, USD-per-million-token prices
matched by model name (dated snapshots included), and the token estimates: the generous one
the rate limiter budgets with before the provider reports, and the expected one forecasts use.

Prices (docs/ARCHITECTURE.md, "Cost"): `LLM_PRICES` entries first, else the maintained table
the `genai-prices` package ships (input, cached input, output and batch prices per model); a
model neither knows has no price (`lookup_price` answers None) rather than a price of zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import version

# Budget estimate: 3 characters per token is pessimistic for real tokenizers (~4 for English),
# so the limiter errs on the safe side until the provider's reported usage is credited back.
_ESTIMATE_CHARS_PER_TOKEN = 3


_ESTIMATE_TOKENS_PER_MESSAGE = 8


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one call as the provider reported them (cached ⊆ prompt)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def estimate_prompt_tokens(*texts: str) -> int:
    """A deliberately generous token estimate for rate budgeting (3 characters per token)."""
    chars = sum(len(text) for text in texts)
    return math.ceil(chars / _ESTIMATE_CHARS_PER_TOKEN) + _ESTIMATE_TOKENS_PER_MESSAGE * len(texts)


# Expected tokens: ~4 characters per token for English text under OpenAI's tokenizers, plus a
# few tokens of framing per message and for the reply. An approximation (no tokenizer's
# encoding files can be loaded offline), so forecasts widen their band by this share.
_EXPECTED_CHARS_PER_TOKEN = 4
_FRAMING_TOKENS_PER_MESSAGE = 4
_FRAMING_TOKENS_PER_REPLY = 3
TOKEN_COUNT_ERROR = 0.25


def count_tokens(text: str) -> int:
    """The expected token count of `text` (the approximation above, rounded up)."""
    return -(-len(text) // _EXPECTED_CHARS_PER_TOKEN)


def expected_prompt_tokens(messages: list[str], schema_text: str = "") -> int:
    """Expected prompt tokens of a call: its messages with their framing, and its schema."""
    framing = _FRAMING_TOKENS_PER_REPLY + _FRAMING_TOKENS_PER_MESSAGE * len(messages)
    return framing + sum(count_tokens(m) for m in messages) + count_tokens(schema_text)


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens for one model; batch prices where the provider has a batch API."""

    model: str
    input: float
    cached_input: float
    output: float
    batch_input: float | None = None
    batch_output: float | None = None
    source: str = "LLM_PRICES"

    def as_mapping(self) -> dict[str, float]:
        return {"input": self.input, "cached_input": self.cached_input, "output": self.output}


def lookup_price(model: str, overrides: Mapping[str, Mapping[str, float]]) -> ModelPrice | None:
    """The price of `model`: an `LLM_PRICES` entry (exact, else the longest prefix), else the
    `genai-prices` table; None when neither knows it."""
    entry = price_for(model, overrides)
    if entry is not None:
        return ModelPrice(
            model=model,
            input=float(entry.get("input", 0.0)),
            cached_input=float(entry.get("cached_input", entry.get("input", 0.0))),
            output=float(entry.get("output", 0.0)),
            batch_input=entry.get("batch_input"),
            batch_output=entry.get("batch_output"),
        )
    return _table_price(model)


@lru_cache(maxsize=256)
def _table_price(model: str) -> ModelPrice | None:
    from genai_prices import data_snapshot  # imported on first use: the table is large

    snapshot = data_snapshot.get_snapshot()
    found = None
    for provider in ("openai", None):
        try:
            found = snapshot.find_provider_model(model, None, provider, None)
            break
        except LookupError:
            continue
    if found is None:
        return None
    _, entry = found
    when = datetime.now(UTC)
    standard = entry.get_prices(when)
    batch = entry.get_prices(when, {"processing": "batch"})
    input_price = _per_million(getattr(standard, "input_mtok", None))
    if input_price is None:
        return None
    cached = _per_million(getattr(standard, "cache_read_mtok", None))
    batch_input = _per_million(getattr(batch, "input_mtok", None))
    batch_output = _per_million(getattr(batch, "output_mtok", None))
    output = _per_million(getattr(standard, "output_mtok", None)) or 0.0
    has_batch = batch_input is not None and batch_input != input_price
    return ModelPrice(
        model=entry.id,
        input=input_price,
        cached_input=cached if cached is not None else input_price,
        output=output,
        batch_input=batch_input if has_batch else None,
        batch_output=batch_output if has_batch else None,
        source=f"genai-prices {version('genai-prices')}",
    )


def _per_million(value: object) -> float | None:
    # Tiered prices (long-context surcharges) count at their base rate.
    base = getattr(value, "base", value)
    return float(base) if isinstance(base, Decimal | int | float) else None


def price_for(model: str, prices: Mapping[str, Mapping[str, float]]) -> Mapping[str, float] | None:
    """The price entry of `model`, else of the longest name it starts with (dated snapshots)."""
    if model in prices:
        return prices[model]
    candidates = [name for name in prices if model.startswith(name)]
    return prices[max(candidates, key=len)] if candidates else None


def cost_usd(usage: TokenUsage, price: ModelPrice | Mapping[str, float] | None) -> float:
    """Dollars for `usage` at USD-per-million-token prices (input, cached_input, output);
    cached prompt tokens are billed at the cached price."""
    if isinstance(price, ModelPrice):
        price = price.as_mapping()
    if not price:
        return 0.0
    input_price = price.get("input", 0.0)
    cached_price = price.get("cached_input", input_price)
    fresh = max(0, usage.prompt_tokens - usage.cached_tokens)
    total = (
        fresh * input_price
        + usage.cached_tokens * cached_price
        + usage.completion_tokens * price.get("output", 0.0)
    )
    return total / 1_000_000
