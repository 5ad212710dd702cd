"""The LLM client: LangChain's OpenAI-compatible chat model with structured-output
fallbacks, retries honouring Retry-After, a per-call timeout, one rate limiter for requests and
tokens (`rate_limiter`), and token/cost accounting. No database and no web code.
"""
