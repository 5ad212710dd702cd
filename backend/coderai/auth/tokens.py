"""Opaque random tokens for sessions and API access. Only their SHA-256 is stored: the tokens
carry 256 bits of randomness, so a fast hash is enough to make a leaked table useless."""

import hashlib
import secrets

SESSION_PREFIX = "cds_"
API_TOKEN_PREFIX = "cdr_"
# How much of an API token a list shows, to recognise it without being able to use it.
SHOWN_PREFIX_CHARS = 10


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh token and its hash."""
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
