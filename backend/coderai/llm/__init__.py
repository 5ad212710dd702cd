"""The LLM client: LangChain's chat models (`providers`) behind one `LLMClient` with
structured-output fallbacks, retries honouring Retry-After (`errors`), one rate limiter for
requests and tokens (`rate_limiter`), and token/cost accounting (`pricing`); one client per
model a project or job chooses (`registry`), the working structured-output method remembered
per server and model (`structured`). No database and no
web code. What the rest of the app uses is exported here.
"""

from coderai.llm.client import LLMClient, LLMResult
from coderai.llm.errors import LLMCallError, LLMNotConfiguredError, LLMOutputError
from coderai.llm.pricing import TokenUsage
from coderai.llm.registry import LLMClients, ModelChoice, ModelChoiceError

__all__ = [
    "LLMCallError",
    "LLMClient",
    "LLMClients",
    "LLMNotConfiguredError",
    "LLMOutputError",
    "LLMResult",
    "ModelChoice",
    "ModelChoiceError",
    "TokenUsage",
]
