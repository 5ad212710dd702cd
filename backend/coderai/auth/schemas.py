"""Accounts, sign-in and API tokens on the wire. Passwords come in and never go out; a token
goes out once, when it is created."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, StringConstraints

from coderai.auth.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from coderai.core.schemas import CamelModel, StrictCamelModel

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"
    ),
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _password_length(value: SecretStr) -> SecretStr:
    length = len(value.get_secret_value())
    if not MIN_PASSWORD_CHARS <= length <= MAX_PASSWORD_CHARS:
        raise ValueError(
            f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )
    return value


Password = Annotated[SecretStr, AfterValidator(_password_length)]


class UserRead(CamelModel):
    id: uuid.UUID
    email: str
    display_name: str
    is_admin: bool
    is_disabled: bool
    created_at: datetime
    last_login_at: datetime | None


class LoginRequest(StrictCamelModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
    password: Annotated[SecretStr, Field(min_length=1, max_length=MAX_PASSWORD_CHARS)]


class UserCreate(StrictCamelModel):
    email: Email
    password: Password
    display_name: DisplayName | None = None
    is_admin: bool = False


class SetupRequest(StrictCamelModel):
    """The first account of a new instance (it becomes an admin)."""

    email: Email
    password: Password
    display_name: DisplayName | None = None


class SetupStatus(CamelModel):
    needs_setup: bool = Field(description="True until the first account exists")


class TokenCreate(StrictCamelModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TokenRead(CamelModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The API token itself: shown this once, never again")
