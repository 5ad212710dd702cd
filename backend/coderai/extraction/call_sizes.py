"""What a document's calls will send, without sending them: the same plan and messages the
engine builds, measured in tokens (docs/ARCHITECTURE.md, "Cost"). Forecasts add these up;
the runner reserves a job's budget with them before it codes a document.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from coderai.extraction.messages import build_messages, static_prefix
from coderai.extraction.plan import call_budget, call_schema, plan_calls
from coderai.extraction.types import DocumentInput, ExtractionOptions, VariablePrompt
from coderai.llm.pricing import estimate_prompt_tokens, expected_prompt_tokens

# OpenAI's automatic prompt caching: prefixes of at least 1,024 tokens, counted in 128-token
# steps, served from cache when the same prefix was sent before.
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128


@dataclass(frozen=True)
class CallSize:
    variables: int
    # Expected prompt tokens, and of them the prefix every call of the job shares.
    prompt_tokens: int
    static_tokens: int
    static_key: str
    # The generous estimate the rate limiter budgets with (the worst case of a budget).
    worst_prompt_tokens: int
    max_tokens: int

    @property
    def cacheable_tokens(self) -> int:
        """Tokens a provider's prefix cache serves once this call's prefix was seen."""
        if self.static_tokens < CACHE_MIN_TOKENS:
            return 0
        return self.static_tokens // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS


def call_sizes(
    document: DocumentInput, prompts: Sequence[VariablePrompt], options: ExtractionOptions
) -> list[CallSize]:
    """One entry per call the engine would make for `document` (none for an empty text)."""
    if not prompts or not document.text.strip():
        return []
    calls = plan_calls(document, prompts, options)
    chunk_count = len({call.chunk.index for call in calls})
    mode = options.context.unit.mode
    sizes = []
    for call in calls:
        system, user = build_messages(
            call, chunk_count, options.context, document_first=options.document_first
        )
        schema_text = json.dumps(call_schema(call.prompts, mode), separators=(",", ":"))
        prefix = static_prefix(user)
        _, max_tokens = call_budget(call.prompts, mode)
        sizes.append(
            CallSize(
                variables=len(call.prompts),
                prompt_tokens=expected_prompt_tokens([system, user], schema_text),
                static_tokens=expected_prompt_tokens([system, prefix]) if prefix else 0,
                static_key=hashlib.sha256(f"{system}\0{prefix}".encode()).hexdigest(),
                worst_prompt_tokens=estimate_prompt_tokens(system, user, schema_text),
                max_tokens=max_tokens,
            )
        )
    return sizes
