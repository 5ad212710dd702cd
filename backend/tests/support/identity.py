"""Accounts for tests, written straight into PostgreSQL: an API token needs no password, so
no argon2 work per test. Projects' roles are given through the real API by the tests."""

import uuid

from coderai.auth.tokens import API_TOKEN_PREFIX, SHOWN_PREFIX_CHARS, new_token
from coderai.core.database import Database
from coderai.models import ApiToken, User


async def user_with_token(
    db: Database, email: str, *, admin: bool = False, name: str | None = None
) -> tuple[uuid.UUID, str]:
    """A new account and an API token for it: (user id, token)."""
    token, digest = new_token(API_TOKEN_PREFIX)
    async with db.transaction() as session:
        user = User(
            email=email,
            display_name=name or email.split("@")[0],
            password_hash=None,
            is_admin=admin,
            is_disabled=False,
        )
        session.add(user)
        await session.flush()
        session.add(
            ApiToken(
                user_id=user.id,
                name="tests",
                prefix=token[:SHOWN_PREFIX_CHARS],
                token_hash=digest,
            )
        )
    return user.id, token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
