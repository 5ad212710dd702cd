"""Token usage and what it costs: provider-reported usage, USD-per-million-token prices
matched by model name (dated snapshots included), and the generous token estimate the rate
limiter budgets with before the provider reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

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


def price_for(model: str, prices: Mapping[str, Mapping[str, float]]) -> Mapping[str, float] | None:
    """The price entry of `model`, else of the longest name it starts with (dated snapshots)."""
    if model in prices:
        return prices[model]
    candidates = [name for name in prices if model.startswith(name)]
    return prices[max(candidates, key=len)] if candidates else None


def cost_usd(usage: TokenUsage, price: Mapping[str, float] | None) -> float:
    """Dollars for `usage` at USD-per-million-token prices (input, cached_input, output)."""
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
