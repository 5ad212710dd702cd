"""Password hashing with argon2id (pwdlib). Hashing is deliberately slow, so it runs in a
thread and never blocks the event loop."""

from functools import lru_cache

import anyio
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_HASHER = PasswordHash((Argon2Hasher(),))
# Long enough to resist guessing; the cap bounds the hashing work an anonymous caller can ask.
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_HASHER.hash, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("no such account")


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether `password` matches; an account without a password is checked against a dummy
    hash, so the answer takes as long whether or not the account exists."""
    return await anyio.to_thread.run_sync(_verify, password, password_hash)


def _verify(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _HASHER.verify(password, _dummy_hash())
        return False
    return bool(_HASHER.verify(password, password_hash))
